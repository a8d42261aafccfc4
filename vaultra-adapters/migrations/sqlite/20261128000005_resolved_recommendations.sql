-- Recommendations may be `resolved`: a generation run retires a pending one whose rule no
-- longer fires (METRICS.md §5 "Retiring"). A resolved one is not live, so the partial
-- unique index `recommendations_one_live` (pending and accepted only) leaves it out and a
-- later firing of the rule can store a new pending one beside it.
--
-- SQLite cannot alter a CHECK constraint: the table is rebuilt with the wider one and its
-- indexes are made again. No table references `recommendations`, so dropping the old one
-- cascades nowhere.

CREATE TABLE recommendations_resolvable (
    id                BLOB PRIMARY KEY,
    business_id       BLOB NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    code              TEXT NOT NULL,
    priority          TEXT NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
    score_impact      INTEGER NOT NULL,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    factor            TEXT,
    status            TEXT NOT NULL
                      CHECK (status IN ('pending', 'accepted', 'dismissed', 'resolved')),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    status_changed_at INTEGER
);
INSERT INTO recommendations_resolvable
SELECT id, business_id, code, priority, score_impact, title, description, factor, status,
       created_at, updated_at, status_changed_at
  FROM recommendations;
DROP TABLE recommendations;
ALTER TABLE recommendations_resolvable RENAME TO recommendations;

-- One live (pending or accepted) recommendation per business and code.
CREATE UNIQUE INDEX recommendations_one_live
    ON recommendations(business_id, code) WHERE status IN ('pending', 'accepted');
CREATE INDEX recommendations_by_business ON recommendations(business_id, status);
CREATE INDEX recommendations_by_created ON recommendations(created_at);
