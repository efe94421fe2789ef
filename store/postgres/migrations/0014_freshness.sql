-- 0013: freshness, as in the SQLite store. A document may carry the date
-- by which its owner should review it (NULL for none); a source keeps its
-- review interval (0 for none); review_notices records which owner
-- reminders went out, so that each document is named at most once a week
-- for each reason.
ALTER TABLE documents ADD COLUMN review_by timestamptz;
ALTER TABLE sources ADD COLUMN review_every_ms bigint NOT NULL DEFAULT 0;

CREATE INDEX documents_review_by ON documents (review_by) WHERE review_by IS NOT NULL;

CREATE TABLE review_notices (
    doc_id  text NOT NULL,
    reason  text NOT NULL,
    sent_at timestamptz NOT NULL,
    PRIMARY KEY (doc_id, reason)
);
