-- 0002: vectors of a new embedder, staged during a reindex.
--
-- A reindex embeds every chunk with the new embedder into this table while
-- searches keep using chunks.vector; one transaction then swaps them in
-- (store/sqlite/embeddings.go). The embedder of the live vectors is the
-- meta row 'embedder'. Rows go with their chunk.
CREATE TABLE chunk_vectors_next (
    chunk_id INTEGER PRIMARY KEY REFERENCES chunks (id) ON DELETE CASCADE,
    embedder TEXT NOT NULL,
    dim      INTEGER NOT NULL,
    vector   BLOB NOT NULL -- little-endian float32 x dim
) STRICT;

-- The embedder of each chunk's vector, as meta 'embedder' named it when the
-- chunk was written ('' for chunks written before stores recorded one).
-- A store never mixes: every chunk's is the store's.
ALTER TABLE chunks ADD COLUMN embedder TEXT NOT NULL DEFAULT '';
