-- 0010: collections with audiences and approval, and document status, as
-- in the SQLite store.
--
-- Searches join chunks to documents for the status and the collection
-- rather than copying both onto chunks: copying would rewrite every chunk
-- (and insert each again into the HNSW index) in this migration, and the
-- join costs one primary-key lookup per candidate of a vector search.

CREATE TABLE collections (
    name       text PRIMARY KEY,
    audience   text NOT NULL DEFAULT '',
    approval   boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL
);

ALTER TABLE documents ADD COLUMN status text NOT NULL DEFAULT 'published'
    CHECK (status IN ('draft', 'published'));

CREATE INDEX documents_drafts ON documents (id) WHERE status = 'draft';

-- A source can require approval of the documents it adds, whatever its
-- collection's rule.
ALTER TABLE sources ADD COLUMN approval boolean NOT NULL DEFAULT false;
