-- Where the fetch of a feed's URL ended, after redirects, at its last
-- successful sync ('' for none), as in the SQLite store: its entries'
-- relative links were resolved against it, so that when the feed moves
-- again the next sync can find the documents stored under those links.
-- Where a feed landed before this column existed is not known.
ALTER TABLE sources ADD COLUMN landed text NOT NULL DEFAULT '';
