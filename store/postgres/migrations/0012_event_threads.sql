-- A thread's earlier questions, read to understand a follow-up, are found
-- by one index lookup instead of a scan of the channel's recent events.
CREATE INDEX events_thread ON events (channel, thread, time) WHERE thread <> '';
