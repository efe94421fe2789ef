-- 0012: the audit log and roles granted from chat or the command line.
--
-- The audit log records who changed what (sources, collections, roles,
-- settings, approvals, forget requests); it is read newest first, by time.
-- A forgotten person is replaced in it by a pseudonym (store.Forget).

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    time   INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_log_time ON audit_log (time, id);

-- Roles of people beyond those in the configuration. An empty workspace
-- grants the role in every workspace of the platform.
CREATE TABLE role_grants (
    platform   TEXT NOT NULL,
    workspace  TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL,
    role       TEXT NOT NULL,
    granted_by TEXT NOT NULL DEFAULT '',
    time       INTEGER NOT NULL,
    PRIMARY KEY (platform, user_id, workspace, role)
) STRICT;
