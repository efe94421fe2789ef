-- 0002: engagement analytics: xAPI statements and their outbox towards a
-- Learning Record Store, analytics opt-outs, and the daily rollups that
-- retention leaves behind when it deletes raw events. Mirrors SQLite's.

-- Statements are immutable; the JSON is exactly what an LRS receives (kept
-- as text, not jsonb, so that it is byte for byte what was built).
-- user_id is the platform user, never sent (the JSON carries a pseudonym),
-- kept so that a person can be forgotten.
CREATE TABLE statements (
    seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id      text NOT NULL UNIQUE,
    time    timestamptz NOT NULL,
    user_id text NOT NULL DEFAULT '',
    voids   text NOT NULL DEFAULT '',
    json    text NOT NULL
);

CREATE INDEX statements_time ON statements (time, seq);
CREATE INDEX statements_user ON statements (user_id);

-- The outbox: statements not yet accepted by the LRS.
CREATE TABLE statement_outbox (
    seq bigint PRIMARY KEY, -- statements.seq, so the outbox drains oldest first
    id  text NOT NULL UNIQUE
);

CREATE TABLE analytics_opt_outs (
    user_id text PRIMARY KEY,
    since   timestamptz NOT NULL
);

-- kind '' rows count the distinct people of a day, platform and channel
-- across all kinds.
CREATE TABLE event_rollups (
    day      date NOT NULL,
    kind     text NOT NULL,
    platform text NOT NULL,
    channel  text NOT NULL,
    events   bigint NOT NULL,
    users    bigint NOT NULL,
    PRIMARY KEY (day, kind, platform, channel)
);

-- Daily activity groups events by UTC day; this index lets the chart's
-- eight weeks be counted from the index alone.
CREATE INDEX events_day ON events (time, kind, user_id);
