-- The notification outbox (one digest per user and day) and the indexes the jobs read by.

CREATE TABLE notification_outbox (
    id          BLOB PRIMARY KEY,
    user_id     BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    digest_date TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    items       TEXT NOT NULL,
    sent_at     INTEGER,
    UNIQUE (user_id, digest_date)
);

CREATE INDEX recommendations_by_created ON recommendations(created_at);
CREATE INDEX job_runs_by_kind ON job_runs(kind, started_at);
