-- 0002: lexical search moves from SQL postings to an in-memory index per
-- process (store/memindex, as in the SQLite store).
--
-- Measured at 100,000 chunks, BM25 in SQL over the postings table took 22
-- to 32 ms for a query of common words, and keeping the postings, the
-- document frequencies and the totals exact cost every write about 50
-- B-tree insertions per chunk. The in-memory index answers the same query
-- in about 2 ms and costs the database nothing at write time; each process
-- loads it from chunks.terms on its first search and follows later writes
-- through two marks: the highest chunk id it has loaded and the highest
-- seq of chunk_deletions it has applied (see index.go).

DROP TRIGGER chunks_added ON chunks;
DROP TRIGGER chunks_removed ON chunks;
DROP TRIGGER chunks_truncated ON chunks;
DROP FUNCTION chunks_added();
DROP FUNCTION chunks_removed();
DROP FUNCTION chunks_truncated();
DROP TABLE chunk_terms;
DROP TABLE term_stats;
DROP TABLE search_totals;

-- A log of deleted chunk ids, so that a process holding an in-memory index
-- can drop chunks another process deleted without rereading every chunk.
-- chunk_id 0 records a TRUNCATE: every chunk loaded before it is gone.
CREATE TABLE chunk_deletions (
    seq      bigserial PRIMARY KEY,
    chunk_id bigint NOT NULL
);

-- Statement-level, so that replacing a document of many chunks logs them
-- in one insert; it fires for ON DELETE CASCADE from documents as well.
CREATE FUNCTION chunks_log_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    INSERT INTO chunk_deletions (chunk_id) SELECT id FROM removed ORDER BY id;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION chunks_log_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    INSERT INTO chunk_deletions (chunk_id) VALUES (0);
    RETURN NULL;
END
$fn$;

CREATE TRIGGER chunks_log_delete AFTER DELETE ON chunks
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION chunks_log_delete();

CREATE TRIGGER chunks_log_truncate AFTER TRUNCATE ON chunks
    FOR EACH STATEMENT EXECUTE FUNCTION chunks_log_truncate();
