-- 0002: claims (first-come keys that de-duplicate deliveries across
-- replicas) and people (platform facts such as a person's time zone).

CREATE TABLE claims (
    key        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL -- unix milliseconds
) STRICT;

-- Claim purges expired rows in small batches, oldest first.
CREATE INDEX claims_expires_at ON claims (expires_at);

CREATE TABLE people (
    platform   TEXT NOT NULL,
    workspace  TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL,
    time_zone  TEXT NOT NULL DEFAULT '', -- IANA name, empty when unknown
    updated_at INTEGER NOT NULL,         -- unix milliseconds
    PRIMARY KEY (platform, workspace, user_id)
) STRICT;
