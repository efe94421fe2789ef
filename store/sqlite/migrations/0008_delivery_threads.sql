-- A delivery remembers the message it was sent as, so that a learner's
-- reply in that message's thread (a reflection) finds its delivery.
ALTER TABLE deliveries ADD COLUMN thread TEXT NOT NULL DEFAULT '';

CREATE INDEX deliveries_thread ON deliveries (platform, workspace, user_id, thread) WHERE thread <> '';
