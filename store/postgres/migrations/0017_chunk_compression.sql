-- A chunk's row (text, analysed terms, a 256-dimension vector: about 3.6 kB
-- before compression) is over PostgreSQL's 2 kB TOAST threshold, so every
-- write compresses its terms and text. The default method, pglz, made that
-- compression the larger part of a bulk COPY: 50,000 bench chunks took 3.6
-- to 4.3 s to COPY with pglz and 2.4 to 2.7 s with lz4, for about the same
-- size on disk (docs/benchmarks.md). Reading terms back, when a process
-- loads its lexical index, is faster with lz4 too.
--
-- Only later writes use the new method; stored rows stay as they are. A
-- server built without lz4 keeps pglz: nothing else depends on the method.
DO $$
BEGIN
    ALTER TABLE chunks
        ALTER COLUMN terms SET COMPRESSION lz4,
        ALTER COLUMN text SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available on this server; chunks keep pglz compression';
END
$$;
