-- 0002: vectors of a new embedder, staged during a reindex.
--
-- A reindex embeds every chunk with the new embedder into this table while
-- searches keep using chunks.embedding; one transaction then swaps them in
-- (store/postgres/embeddings.go). The embedder of the live vectors is the
-- meta row 'embedder'. Rows go with their chunk.
CREATE TABLE chunk_vectors_next (
    chunk_id  bigint PRIMARY KEY REFERENCES chunks (id) ON DELETE CASCADE,
    embedder  text NOT NULL,
    embedding vector NOT NULL
);
