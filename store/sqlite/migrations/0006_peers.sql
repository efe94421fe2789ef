-- 0002: peer connections (bot/peers): profiles, expert requests, pairing
-- schedules and rounds. Each record is kept whole as JSON in data, with
-- the columns it is looked up by beside it: the records are read and
-- written whole, and their fields change more often than their keys.

CREATE TABLE peer_profiles (
    platform   TEXT NOT NULL,
    workspace  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    data       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (platform, workspace, user_id)
) STRICT;

CREATE TABLE peer_requests (
    id         TEXT PRIMARY KEY,
    platform   TEXT NOT NULL,
    workspace  TEXT NOT NULL,
    asker      TEXT NOT NULL,
    expert     TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    data       TEXT NOT NULL
) STRICT;

CREATE INDEX peer_requests_expert ON peer_requests (platform, workspace, expert, created_at);

CREATE TABLE peer_round_configs (
    platform  TEXT NOT NULL,
    workspace TEXT NOT NULL,
    channel   TEXT NOT NULL,
    data      TEXT NOT NULL,
    PRIMARY KEY (platform, workspace, channel)
) STRICT;

CREATE TABLE peer_rounds (
    id         TEXT PRIMARY KEY,
    platform   TEXT NOT NULL,
    workspace  TEXT NOT NULL,
    channel    TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    data       TEXT NOT NULL
) STRICT;

CREATE INDEX peer_rounds_channel ON peer_rounds (platform, workspace, channel, started_at);
CREATE INDEX documents_owner ON documents (owner);
