-- A person's peer records by platform and user, whatever the workspace,
-- beside their learning records (0019): a direct message that names no
-- workspace (Discord's) finds every workspace the person has records in.
-- Their events are found through events_user_time.
CREATE INDEX peer_profiles_person ON peer_profiles (platform, user_id, workspace);
CREATE INDEX peer_requests_asker_person ON peer_requests (platform, asker, workspace);
CREATE INDEX peer_requests_expert_person ON peer_requests (platform, expert, workspace);
