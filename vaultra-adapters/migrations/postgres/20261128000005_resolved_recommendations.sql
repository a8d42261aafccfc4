-- Recommendations may be `resolved`: a generation run retires a pending one whose rule no
-- longer fires (METRICS.md §5 "Retiring"). A resolved one is not live, so the partial
-- unique index `recommendations_one_live` (pending and accepted only) leaves it out and a
-- later firing of the rule can store a new pending one beside it.
ALTER TABLE recommendations DROP CONSTRAINT recommendations_status_check;
ALTER TABLE recommendations ADD CONSTRAINT recommendations_status_check
    CHECK (status IN ('pending', 'accepted', 'dismissed', 'resolved'));
