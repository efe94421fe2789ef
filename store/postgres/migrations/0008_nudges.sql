-- 0002 (PostgreSQL): micro-learning nudges: tracks and their versions, enrolments,
-- preferences, card states, deliveries and answers. Times are unix ms,
-- 0 for "never"; lists are JSON arrays of text.

CREATE TABLE track_versions (
    track_id  text NOT NULL,
    version   bigint NOT NULL,
    hash      text NOT NULL,
    title     text NOT NULL,
    draft     boolean NOT NULL DEFAULT false,
    content   bytea NOT NULL,
    loaded_at bigint NOT NULL,
    PRIMARY KEY (track_id, version)
);

-- A learner is (platform, workspace, user_id) in every table below.
CREATE TABLE enrolments (
    platform    text NOT NULL,
    workspace   text NOT NULL,
    user_id     text NOT NULL,
    track_id    text NOT NULL,
    status      text NOT NULL,
    source      text NOT NULL DEFAULT '',
    joined_at   bigint NOT NULL,
    seen        text NOT NULL DEFAULT '[]',
    last_new_at bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, workspace, user_id, track_id)
);

CREATE INDEX enrolments_status ON enrolments (status);

CREATE TABLE nudge_preferences (
    platform        text NOT NULL,
    workspace       text NOT NULL,
    user_id         text NOT NULL,
    time_zone       text NOT NULL DEFAULT '',
    delivery_minute bigint NOT NULL,
    weekdays        bigint NOT NULL,
    daily_cap       bigint NOT NULL,
    quiet_from      bigint NOT NULL DEFAULT 0,
    quiet_until     bigint NOT NULL DEFAULT 0,
    snoozed_until   bigint NOT NULL DEFAULT 0,
    paused          boolean NOT NULL DEFAULT false,
    stopped         boolean NOT NULL DEFAULT false,
    stop_reason     text NOT NULL DEFAULT '',
    PRIMARY KEY (platform, workspace, user_id)
);

CREATE TABLE card_states (
    platform       text NOT NULL,
    workspace      text NOT NULL,
    user_id        text NOT NULL,
    track_id       text NOT NULL,
    card_id        text NOT NULL,
    due            bigint NOT NULL DEFAULT 0,
    stability      double precision NOT NULL DEFAULT 0,
    difficulty     double precision NOT NULL DEFAULT 0,
    elapsed_days   bigint NOT NULL DEFAULT 0,
    scheduled_days bigint NOT NULL DEFAULT 0,
    reps           bigint NOT NULL DEFAULT 0,
    lapses         bigint NOT NULL DEFAULT 0,
    state          bigint NOT NULL DEFAULT 0,
    last_review    bigint NOT NULL DEFAULT 0,
    seen_at        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, workspace, user_id, track_id, card_id)
);

CREATE INDEX card_states_due ON card_states (due) WHERE due > 0;

CREATE TABLE deliveries (
    id        text PRIMARY KEY,
    platform  text NOT NULL,
    workspace text NOT NULL,
    user_id   text NOT NULL,
    slot      bigint NOT NULL,
    cards     text NOT NULL,
    status    text NOT NULL,
    sent_at   bigint NOT NULL DEFAULT 0
);

CREATE INDEX deliveries_learner ON deliveries (platform, workspace, user_id, slot);

CREATE TABLE answers (
    delivery_id text NOT NULL,
    card_id     text NOT NULL,
    platform    text NOT NULL,
    workspace   text NOT NULL,
    user_id     text NOT NULL,
    choice      text NOT NULL,
    correct     boolean NOT NULL,
    at          bigint NOT NULL,
    PRIMARY KEY (delivery_id, card_id)
);
