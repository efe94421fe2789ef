-- 0013: the audit log and roles granted from chat or the command line, as
-- in the SQLite store.

CREATE TABLE audit_log (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time   timestamptz NOT NULL,
    actor  text NOT NULL,
    action text NOT NULL,
    target text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_time ON audit_log (time, id);

CREATE TABLE role_grants (
    platform   text NOT NULL,
    workspace  text NOT NULL DEFAULT '',
    user_id    text NOT NULL,
    role       text NOT NULL,
    granted_by text NOT NULL DEFAULT '',
    time       timestamptz NOT NULL,
    PRIMARY KEY (platform, user_id, workspace, role)
);
