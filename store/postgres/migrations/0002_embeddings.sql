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

-- The embedder of each chunk's vector, as meta 'embedder' names it when the
-- chunk is written ('' before the store records one), filled in by the
-- column's default so that no writer has to name it. A store never mixes:
-- every chunk's is the store's.
CREATE FUNCTION current_embedder() RETURNS text
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT coalesce((SELECT value FROM meta WHERE key = 'embedder'), '')
$$;

ALTER TABLE chunks ADD COLUMN embedder text NOT NULL DEFAULT current_embedder();
