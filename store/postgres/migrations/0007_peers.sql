-- 0002: peer connections (bot/peers): profiles, expert requests, pairing
-- schedules and rounds. Each record is kept whole as JSON in data, with
-- the columns it is looked up by beside it: the records are read and
-- written whole, and their fields change more often than their keys.

CREATE TABLE peer_profiles (
    platform   text NOT NULL,
    workspace  text NOT NULL,
    user_id    text NOT NULL,
    data       jsonb NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (platform, workspace, user_id)
);

CREATE TABLE peer_requests (
    id         text PRIMARY KEY,
    seq        bigint GENERATED ALWAYS AS IDENTITY,
    platform   text NOT NULL,
    workspace  text NOT NULL,
    asker      text NOT NULL,
    expert     text NOT NULL,
    status     text NOT NULL,
    created_at timestamptz NOT NULL,
    data       jsonb NOT NULL
);

CREATE INDEX peer_requests_expert ON peer_requests (platform, workspace, expert, created_at);

CREATE TABLE peer_round_configs (
    platform  text NOT NULL,
    workspace text NOT NULL,
    channel   text NOT NULL,
    data      jsonb NOT NULL,
    PRIMARY KEY (platform, workspace, channel)
);

CREATE TABLE peer_rounds (
    id         text PRIMARY KEY,
    seq        bigint GENERATED ALWAYS AS IDENTITY,
    platform   text NOT NULL,
    workspace  text NOT NULL,
    channel    text NOT NULL,
    started_at timestamptz NOT NULL,
    data       jsonb NOT NULL
);

CREATE INDEX peer_rounds_channel ON peer_rounds (platform, workspace, channel, started_at);
CREATE INDEX documents_owner ON documents (owner);
