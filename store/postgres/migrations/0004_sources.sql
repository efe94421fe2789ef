-- 0002: the source registry, as in the SQLite store. Times are NULL for
-- never.

CREATE TABLE sources (
    name         text PRIMARY KEY,
    kind         text NOT NULL,
    location     text NOT NULL,
    collection   text NOT NULL,
    owner        text NOT NULL DEFAULT '',
    audience     text NOT NULL DEFAULT '',
    every_ms     bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    documents    integer NOT NULL DEFAULT 0,
    chunks       integer NOT NULL DEFAULT 0,
    last_sync    timestamptz,
    last_success timestamptz,
    last_error   text NOT NULL DEFAULT ''
);

CREATE TABLE source_pages (
    source        text NOT NULL REFERENCES sources (name) ON DELETE CASCADE,
    doc_id        text NOT NULL,
    location      text NOT NULL,
    content_hash  text NOT NULL DEFAULT '',
    etag          text NOT NULL DEFAULT '',
    last_modified text NOT NULL DEFAULT '',
    chunks        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (source, doc_id)
);
