-- 0009: collections with audiences and approval, and document status.
--
-- A collection's audience says who may be answered from its documents
-- (knowledge/audience parses it; '' is everyone). With approval set,
-- documents new to the collection arrive as drafts, which are never
-- searched until a curator publishes them. Existing documents stay
-- published.

CREATE TABLE collections (
    name       TEXT PRIMARY KEY,
    audience   TEXT NOT NULL DEFAULT '',
    approval   INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;

ALTER TABLE documents ADD COLUMN status TEXT NOT NULL DEFAULT 'published'
    CHECK (status IN ('draft', 'published'));

-- lore drafts lists them; few documents are drafts at any time.
CREATE INDEX documents_drafts ON documents (id) WHERE status = 'draft';

-- A source can require approval of the documents it adds, whatever its
-- collection's rule.
ALTER TABLE sources ADD COLUMN approval INTEGER NOT NULL DEFAULT 0;
