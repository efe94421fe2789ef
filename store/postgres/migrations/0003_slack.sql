-- 0002: claims (first-come keys that de-duplicate deliveries across
-- replicas) and people (platform facts such as a person's time zone).
-- Tables mirror the SQLite backend's.

CREATE TABLE claims (
    key        text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

-- Claim purges expired rows in small batches, oldest first.
CREATE INDEX claims_expires_at ON claims (expires_at);

CREATE TABLE people (
    platform   text NOT NULL,
    workspace  text NOT NULL DEFAULT '',
    user_id    text NOT NULL,
    time_zone  text NOT NULL DEFAULT '', -- IANA name, empty when unknown
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (platform, workspace, user_id)
);
