-- The notification outbox (one digest per user and day) and the indexes the jobs read by.

CREATE TABLE notification_outbox (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    digest_date DATE NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    items       JSONB NOT NULL,
    sent_at     TIMESTAMPTZ,
    UNIQUE (user_id, digest_date)
);

CREATE INDEX recommendations_by_created ON recommendations(created_at);
CREATE INDEX job_runs_by_kind ON job_runs(kind, started_at);
