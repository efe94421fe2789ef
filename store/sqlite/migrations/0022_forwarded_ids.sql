-- The ids of forwarded statements that retention deleted, each with the
-- person it was about: a Learning Record Store may hold them, and
-- forgetting the person must still void them there. Nothing else of the
-- statement is kept, not its content, its time nor a sequence number (the
-- table is stored in the order of the statement ids, not of insertion),
-- so that what retention leaves does not tell what the person did, or
-- when. Forget deletes a person's rows once their voiding statements are
-- queued. Statements deleted by retention before this table existed are
-- not known.
CREATE TABLE forwarded_ids (
    id      TEXT PRIMARY KEY,
    user_id TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX forwarded_ids_user ON forwarded_ids (user_id, id);
