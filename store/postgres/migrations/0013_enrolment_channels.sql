-- An enrolment made through a channel (a curator enrolling a channel's
-- people, or onboarding when someone joins a channel) names it: a track
-- whose audience admits that channel admits the people enrolled through it.
ALTER TABLE enrolments ADD COLUMN channel text NOT NULL DEFAULT '';
