-- 0002: micro-learning nudges: tracks and their versions, enrolments,
-- preferences, card states, deliveries and answers. Times are unix ms,
-- 0 for "never"; lists are JSON arrays of text.

CREATE TABLE track_versions (
    track_id  TEXT NOT NULL,
    version   INTEGER NOT NULL,
    hash      TEXT NOT NULL,
    title     TEXT NOT NULL,
    draft     INTEGER NOT NULL DEFAULT 0,
    content   BLOB NOT NULL,
    loaded_at INTEGER NOT NULL,
    PRIMARY KEY (track_id, version)
) STRICT;

-- A learner is (platform, workspace, user_id) in every table below.
CREATE TABLE enrolments (
    platform    TEXT NOT NULL,
    workspace   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    track_id    TEXT NOT NULL,
    status      TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    joined_at   INTEGER NOT NULL,
    seen        TEXT NOT NULL DEFAULT '[]',
    last_new_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, workspace, user_id, track_id)
) STRICT;

CREATE INDEX enrolments_status ON enrolments (status);

CREATE TABLE nudge_preferences (
    platform        TEXT NOT NULL,
    workspace       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    time_zone       TEXT NOT NULL DEFAULT '',
    delivery_minute INTEGER NOT NULL,
    weekdays        INTEGER NOT NULL,
    daily_cap       INTEGER NOT NULL,
    quiet_from      INTEGER NOT NULL DEFAULT 0,
    quiet_until     INTEGER NOT NULL DEFAULT 0,
    snoozed_until   INTEGER NOT NULL DEFAULT 0,
    paused          INTEGER NOT NULL DEFAULT 0,
    stopped         INTEGER NOT NULL DEFAULT 0,
    stop_reason     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (platform, workspace, user_id)
) STRICT;

CREATE TABLE card_states (
    platform       TEXT NOT NULL,
    workspace      TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    track_id       TEXT NOT NULL,
    card_id        TEXT NOT NULL,
    due            INTEGER NOT NULL DEFAULT 0,
    stability      REAL NOT NULL DEFAULT 0,
    difficulty     REAL NOT NULL DEFAULT 0,
    elapsed_days   INTEGER NOT NULL DEFAULT 0,
    scheduled_days INTEGER NOT NULL DEFAULT 0,
    reps           INTEGER NOT NULL DEFAULT 0,
    lapses         INTEGER NOT NULL DEFAULT 0,
    state          INTEGER NOT NULL DEFAULT 0,
    last_review    INTEGER NOT NULL DEFAULT 0,
    seen_at        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, workspace, user_id, track_id, card_id)
) STRICT;

CREATE INDEX card_states_due ON card_states (due) WHERE due > 0;

CREATE TABLE deliveries (
    id        TEXT PRIMARY KEY,
    platform  TEXT NOT NULL,
    workspace TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    slot      INTEGER NOT NULL,
    cards     TEXT NOT NULL,
    status    TEXT NOT NULL,
    sent_at   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX deliveries_learner ON deliveries (platform, workspace, user_id, slot);

CREATE TABLE answers (
    delivery_id TEXT NOT NULL,
    card_id     TEXT NOT NULL,
    platform    TEXT NOT NULL,
    workspace   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    choice      TEXT NOT NULL,
    correct     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, card_id)
) STRICT;
