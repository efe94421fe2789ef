-- 0002: the source registry. A source is a folder, page, sitemap or feed
-- that Lore keeps in sync; source_pages records the documents each sync
-- put in the index, so that the next one can skip what is unchanged and
-- remove what is gone upstream. Times are unix milliseconds, 0 for never.

CREATE TABLE sources (
    name         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    location     TEXT NOT NULL,
    collection   TEXT NOT NULL,
    owner        TEXT NOT NULL DEFAULT '',
    audience     TEXT NOT NULL DEFAULT '',
    every_ms     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    documents    INTEGER NOT NULL DEFAULT 0,
    chunks       INTEGER NOT NULL DEFAULT 0,
    last_sync    INTEGER NOT NULL DEFAULT 0,
    last_success INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE source_pages (
    source        TEXT NOT NULL REFERENCES sources (name) ON DELETE CASCADE,
    doc_id        TEXT NOT NULL,
    location      TEXT NOT NULL,
    content_hash  TEXT NOT NULL DEFAULT '',
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    chunks        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, doc_id)
) STRICT;
