-- 0001: the initial Lore schema.
--
-- Times are unix milliseconds (INTEGER) so that ordering and range filters
-- are plain integer comparisons and every backend agrees on precision.
-- Tables are STRICT so that a wrongly typed value is an error, not a
-- silently coerced row.

CREATE TABLE documents (
    id           TEXT PRIMARY KEY,
    collection   TEXT NOT NULL,
    source       TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    owner        TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL DEFAULT '',
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX documents_collection ON documents (collection);

-- AUTOINCREMENT, not plain rowid: ids must never be reused, because other
-- processes catch up with writes by loading chunks whose id is above the
-- highest one they have seen.
CREATE TABLE chunks (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id  TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    heading TEXT NOT NULL DEFAULT '',
    text    TEXT NOT NULL,
    terms   TEXT NOT NULL DEFAULT '', -- analysed terms joined by single spaces
    vector  BLOB NOT NULL,            -- little-endian float32 x dim
    dim     INTEGER NOT NULL
) STRICT;

CREATE INDEX chunks_doc_id ON chunks (doc_id);

-- A log of deleted chunk ids, so that a process holding an in-memory index
-- can drop chunks another process deleted without rescanning every chunk.
CREATE TABLE chunk_deletions (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    chunk_id INTEGER NOT NULL
) STRICT;

-- Fires for explicit deletes and for ON DELETE CASCADE from documents alike.
CREATE TRIGGER chunks_log_delete AFTER DELETE ON chunks
BEGIN
    INSERT INTO chunk_deletions (chunk_id) VALUES (old.id);
END;

CREATE TABLE events (
    id         TEXT PRIMARY KEY,
    time       INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    platform   TEXT NOT NULL DEFAULT '',
    workspace  TEXT NOT NULL DEFAULT '',
    channel    TEXT NOT NULL DEFAULT '',
    thread     TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL DEFAULT '',
    direct     INTEGER NOT NULL DEFAULT 0,
    question   TEXT NOT NULL DEFAULT '',
    confident  INTEGER NOT NULL DEFAULT 0,
    doc_ids    TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    latency_ms INTEGER NOT NULL DEFAULT 0,
    value      INTEGER NOT NULL DEFAULT 0,
    ref        TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX events_time ON events (time);
CREATE INDEX events_kind_time ON events (kind, time);
CREATE INDEX events_user_time ON events (user_id, time);

CREATE TABLE locks (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- Facts about the database as a whole, such as the vector dimension, which
-- is fixed by the first vector written.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
