-- 0001: the initial Lore schema for PostgreSQL.
--
-- Tables mirror the SQLite backend's. Unqualified names resolve through
-- search_path, so the same file creates the schema of any tenant
-- (Options.Schema); the vector type comes from the pgvector extension,
-- which must be installed in a schema on that path.

CREATE TABLE documents (
    id           text PRIMARY KEY,
    collection   text NOT NULL,
    source       text NOT NULL,
    title        text NOT NULL DEFAULT '',
    tags         text[] NOT NULL DEFAULT '{}',
    owner        text NOT NULL DEFAULT '',
    content_hash text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL
);

CREATE INDEX documents_collection ON documents (collection);

-- The embedding column is plain vector, without a dimension: the dimension
-- is fixed by the first vector written (recorded in meta), and the store
-- then creates the HNSW index on embedding::vector(N). The cast in that
-- index also refuses any later row of another dimension. Creating a typed
-- column instead would need ALTER TABLE on a live table, which takes an
-- exclusive lock and invalidates statements other processes have prepared.
CREATE TABLE chunks (
    id        bigserial PRIMARY KEY,
    doc_id    text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal   integer NOT NULL,
    heading   text NOT NULL DEFAULT '',
    text      text NOT NULL,
    terms     text[] NOT NULL DEFAULT '{}', -- analysed terms, in order, repeats kept
    embedding vector NOT NULL
);

CREATE INDEX chunks_doc_id ON chunks (doc_id);

-- Lexical search is BM25 over Lore's own analysed terms, computed in SQL
-- from three structures that triggers on chunks keep exact in the same
-- transaction as every insert and delete, whichever statement makes it:
--
--   chunk_terms    the postings: one row per distinct word of a chunk, with
--                  its frequency and the chunk's length in words, so that
--                  scoring reads only this index (an index-only scan per
--                  query word) and never the chunks themselves;
--   term_stats     document frequency per word (chunks containing it);
--   search_totals  chunk count and total length in words, for idf and the
--                  average chunk length.
--
-- Phrase terms (two words joined by "_", see analyze.Terms) are left out of
-- all three, as store/memindex leaves them out of its dictionary: they only
-- re-score the best word matches, from the terms of those few chunks.
--
-- A B-tree of postings rather than a GIN index: GIN finds candidates but
-- cannot say how often a term occurs in each, so scoring would read and
-- decompress every candidate row, about ten times slower on common words.
CREATE TABLE chunk_terms (
    term     text NOT NULL,
    chunk_id bigint NOT NULL,
    tf       integer NOT NULL,
    len      integer NOT NULL,
    PRIMARY KEY (term, chunk_id) INCLUDE (tf, len)
)
-- Scoring reads postings by index-only scans, which fall back to the heap
-- for pages changed since the last vacuum: at 100,000 chunks a re-ingest
-- of 1% of them made lexical search four times slower until a vacuum. The
-- default thresholds (20% of the table) would wait for far more churn.
WITH (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01,
      autovacuum_analyze_scale_factor = 0.02);

-- Deleting a chunk's postings by chunk is a short range scan here, rather
-- than one descent of the primary key per term; B-tree deduplication keeps
-- the index small.
CREATE INDEX chunk_terms_chunk_id ON chunk_terms (chunk_id);

-- Every write updates hundreds of these rows; free space in each page lets
-- the updates stay on the page without touching the index (HOT).
CREATE TABLE term_stats (
    term text PRIMARY KEY,
    df   integer NOT NULL CHECK (df > 0)
) WITH (fillfactor = 50);

CREATE TABLE search_totals (
    one    boolean PRIMARY KEY DEFAULT true CHECK (one),
    chunks bigint NOT NULL DEFAULT 0,
    terms  bigint NOT NULL DEFAULT 0
);

INSERT INTO search_totals DEFAULT VALUES;

-- The trigger functions run with the search_path of this migration, so
-- they find this schema's tables even when a statement comes from a
-- session with another path (an operator's psql, say).
--
-- Their statements go through EXECUTE so that each run is planned with
-- the tables' current sizes: PL/pgSQL would otherwise keep, for the life
-- of the connection, the plan made at its first run, when the tables were
-- empty and a sequential scan of chunk_terms looked cheapest.
CREATE FUNCTION chunks_added() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    EXECUTE $q$
        WITH words AS (
            SELECT a.id, t.term
            FROM added a CROSS JOIN LATERAL unnest(a.terms) AS t (term)
            WHERE strpos(t.term, '_') = 0
        ), lengths AS (
            SELECT id, count(*) AS len FROM words GROUP BY id
        ), postings AS (
            INSERT INTO chunk_terms (term, chunk_id, tf, len)
            SELECT w.term, w.id, count(*), max(l.len)
            FROM words w JOIN lengths l USING (id)
            GROUP BY w.id, w.term
            RETURNING term
        ), stats AS (
            INSERT INTO term_stats AS s (term, df)
            SELECT term, count(*) FROM postings GROUP BY term
            ON CONFLICT (term) DO UPDATE SET df = s.df + excluded.df
        )
        UPDATE search_totals SET
            chunks = chunks + (SELECT count(*) FROM added),
            terms = terms + (SELECT count(*) FROM words)
    $q$;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION chunks_removed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
    EXECUTE $q$
        WITH words AS (
            SELECT r.id, t.term
            FROM removed r CROSS JOIN LATERAL unnest(r.terms) AS t (term)
            WHERE strpos(t.term, '_') = 0
        ), postings AS (
            DELETE FROM chunk_terms
            WHERE chunk_id = ANY (ARRAY(SELECT id FROM removed))
            RETURNING term
        ), counts AS (
            SELECT term, count(*) AS n FROM postings GROUP BY term
        ), kept AS (
            UPDATE term_stats s SET df = s.df - counts.n
            FROM counts WHERE s.term = counts.term AND s.df > counts.n
        ), dropped AS (
            DELETE FROM term_stats s
            USING counts WHERE s.term = counts.term AND s.df <= counts.n
        )
        UPDATE search_totals SET
            chunks = chunks - (SELECT count(*) FROM removed),
            terms = terms - (SELECT count(*) FROM words)
    $q$;
    RETURN NULL;
END
$fn$;

-- Chunks are replaced, never edited; an UPDATE of terms would silently
-- desynchronise the postings, so it is refused.
CREATE FUNCTION chunks_terms_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'chunks.terms and chunks.id cannot be updated; replace the document instead';
END
$$;

CREATE FUNCTION chunks_truncated() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    TRUNCATE chunk_terms, term_stats;
    UPDATE search_totals SET chunks = 0, terms = 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER chunks_added AFTER INSERT ON chunks
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION chunks_added();

CREATE TRIGGER chunks_removed AFTER DELETE ON chunks
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION chunks_removed();

CREATE TRIGGER chunks_terms_frozen BEFORE UPDATE OF id, terms ON chunks
    FOR EACH ROW EXECUTE FUNCTION chunks_terms_frozen();

CREATE TRIGGER chunks_truncated AFTER TRUNCATE ON chunks
    FOR EACH STATEMENT EXECUTE FUNCTION chunks_truncated();

CREATE TABLE events (
    id         text PRIMARY KEY,
    -- Breaks ties between events of the same millisecond: latest recorded
    -- first, as SQLite's rowid does.
    seq        bigint GENERATED ALWAYS AS IDENTITY,
    time       timestamptz NOT NULL,
    kind       text NOT NULL,
    platform   text NOT NULL DEFAULT '',
    workspace  text NOT NULL DEFAULT '',
    channel    text NOT NULL DEFAULT '',
    thread     text NOT NULL DEFAULT '',
    user_id    text NOT NULL DEFAULT '',
    direct     boolean NOT NULL DEFAULT false,
    question   text NOT NULL DEFAULT '',
    confident  boolean NOT NULL DEFAULT false,
    doc_ids    text[] NOT NULL DEFAULT '{}',
    latency_ms bigint NOT NULL DEFAULT 0,
    value      integer NOT NULL DEFAULT 0,
    ref        text NOT NULL DEFAULT ''
);

CREATE INDEX events_time ON events (time, seq);
CREATE INDEX events_kind_time ON events (kind, time);
CREATE INDEX events_user_time ON events (user_id, time);

CREATE TABLE locks (
    name       text PRIMARY KEY,
    owner      text NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Facts about the database as a whole, such as the vector dimension.
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
