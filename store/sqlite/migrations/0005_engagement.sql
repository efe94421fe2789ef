-- 0002: engagement analytics: xAPI statements and their outbox towards a
-- Learning Record Store, analytics opt-outs, and the daily rollups that
-- retention leaves behind when it deletes raw events.

-- Statements are immutable; the JSON is exactly what an LRS receives.
-- user_id is the platform user, never sent (the JSON carries a pseudonym),
-- kept so that a person can be forgotten.
CREATE TABLE statements (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    id      TEXT NOT NULL UNIQUE,
    time    INTEGER NOT NULL,
    user_id TEXT NOT NULL DEFAULT '',
    voids   TEXT NOT NULL DEFAULT '',
    json    TEXT NOT NULL
) STRICT;

CREATE INDEX statements_time ON statements (time, seq);
CREATE INDEX statements_user ON statements (user_id);

-- The outbox: statements not yet accepted by the LRS. A row leaves only
-- when the LRS has answered for it, so nothing is lost if either side is
-- down.
CREATE TABLE statement_outbox (
    seq INTEGER PRIMARY KEY,   -- statements.seq, so the outbox drains oldest first
    id  TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE analytics_opt_outs (
    user_id TEXT PRIMARY KEY,
    since   INTEGER NOT NULL
) STRICT;

-- kind '' rows count the distinct people of a day, platform and channel
-- across all kinds.
CREATE TABLE event_rollups (
    day      INTEGER NOT NULL, -- unix milliseconds of UTC midnight
    kind     TEXT NOT NULL,
    platform TEXT NOT NULL,
    channel  TEXT NOT NULL,
    events   INTEGER NOT NULL,
    users    INTEGER NOT NULL,
    PRIMARY KEY (day, kind, platform, channel)
) STRICT;

-- Daily activity groups events by UTC day; this index lets the chart's
-- eight weeks be counted from the index alone.
CREATE INDEX events_day ON events (time, kind, user_id);
