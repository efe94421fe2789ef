-- 0012: freshness. A document may carry the date by which its owner
-- should review it (unix milliseconds, NULL for none), from its front
-- matter or its source's review interval; a source keeps that interval
-- (0 for none). review_notices records which owner reminders went out,
-- so that each document is named at most once a week for each reason.
ALTER TABLE documents ADD COLUMN review_by INTEGER;
ALTER TABLE sources ADD COLUMN review_every_ms INTEGER NOT NULL DEFAULT 0;

CREATE INDEX documents_review_by ON documents (review_by) WHERE review_by IS NOT NULL;

CREATE TABLE review_notices (
    doc_id  TEXT NOT NULL,
    reason  TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (doc_id, reason)
) STRICT;
