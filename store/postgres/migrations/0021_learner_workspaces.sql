-- A person's learning records by platform and user, whatever the
-- workspace: a direct message that names no workspace (Discord's) finds
-- the workspaces the person learns in, and the newest nudge sent there.
CREATE INDEX enrolments_person ON enrolments (platform, user_id, workspace);
CREATE INDEX nudge_preferences_person ON nudge_preferences (platform, user_id, workspace);
CREATE INDEX deliveries_person_sent ON deliveries (platform, user_id, workspace, sent_at) WHERE status = 'sent';
