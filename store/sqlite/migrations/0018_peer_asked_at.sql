-- When the expert of a request was asked (unix milliseconds; NULL while
-- the request is only a suggestion): the weekly cap counts the requests
-- an expert was asked in the last seven days, and a suggestion pressed
-- days after it was shown counts from the press, not from when it was
-- shown. Requests sent before this column are taken to have been asked
-- when they were made, in the column and in the record kept in data.
ALTER TABLE peer_requests ADD COLUMN asked_at INTEGER;

UPDATE peer_requests
SET asked_at = created_at,
    data = json_set(data, '$.AskedAt', json_extract(data, '$.CreatedAt'))
WHERE status <> 'suggested';

CREATE INDEX peer_requests_expert_asked ON peer_requests (platform, workspace, expert, asked_at);
