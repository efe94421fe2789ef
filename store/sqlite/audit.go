package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lorehq/lore/store"
)

// RecordAudit appends an entry to the audit log.
func (s *Store) RecordAudit(ctx context.Context, e store.AuditEntry) error {
	op := fmt.Sprintf("record audit entry %s", store.QuoteID(e.Action))
	if err := s.writable(op); err != nil {
		return err
	}
	if err := store.ValidateAuditEntry(e); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	if e.Time.IsZero() {
		e.Time = s.opts.Clock()
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO audit_log (time, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		e.Time.UnixMilli(), e.Actor, e.Action, e.Target, e.Detail)
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// AuditLog returns the entries f selects, newest first.
func (s *Store) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	const op = "read the audit log"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := store.ValidateAuditFilter(f); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var (
		where []string
		args  []any
	)
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Action != "" {
		// The action itself and every action under it; a LIKE pattern
		// would take '_' in an action as a wildcard.
		where, args = append(where, "(action = ? OR substr(action, 1, ?) = ?)"), append(args, f.Action, len(f.Action)+1, f.Action+".")
	}
	if !f.Since.IsZero() {
		where, args = append(where, "time >= ?"), append(args, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "time < ?"), append(args, f.Until.UnixMilli())
	}
	q := "SELECT id, time, actor, action, target, detail FROM audit_log"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY time DESC, id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var (
			e  store.AuditEntry
			ms int64
		)
		if err := rows.Scan(&e.ID, &ms, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, s.fail(op, err)
		}
		e.Time = time.UnixMilli(ms).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// GrantRole stores a role grant, keeping an earlier one of the same role.
func (s *Store) GrantRole(ctx context.Context, g store.RoleGrant) (bool, error) {
	const op = "grant role"
	if err := s.writable(op); err != nil {
		return false, err
	}
	if err := store.ValidateRoleGrant(g); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	if g.Time.IsZero() {
		g.Time = s.opts.Clock()
	}
	r, err := s.wdb.ExecContext(ctx, `INSERT INTO role_grants (platform, workspace, user_id, role, granted_by, time)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, g.Platform, g.Workspace, g.User, g.Role, g.GrantedBy, g.Time.UnixMilli())
	if err != nil {
		return false, s.fail(op, err)
	}
	n, err := r.RowsAffected()
	return n > 0, s.failIf(op, err)
}

// RevokeRole removes one grant.
func (s *Store) RevokeRole(ctx context.Context, platform, workspace, user, role string) (bool, error) {
	const op = "revoke role"
	if err := s.writable(op); err != nil {
		return false, err
	}
	if err := store.ValidateRoleGrant(store.RoleGrant{Platform: platform, Workspace: workspace, User: user, Role: role}); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	r, err := s.wdb.ExecContext(ctx, `DELETE FROM role_grants WHERE platform = ? AND workspace = ? AND user_id = ? AND role = ?`,
		platform, workspace, user, role)
	if err != nil {
		return false, s.fail(op, err)
	}
	n, err := r.RowsAffected()
	return n > 0, s.failIf(op, err)
}

// RoleGrants lists the grants f selects.
func (s *Store) RoleGrants(ctx context.Context, f store.RoleGrantFilter) ([]store.RoleGrant, error) {
	const op = "list role grants"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := store.ValidateRoleGrantFilter(f); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	q := "SELECT platform, workspace, user_id, role, granted_by, time FROM role_grants"
	var args []any
	if f.User != "" {
		q += " WHERE platform = ? AND user_id = ? AND workspace IN ('', ?)"
		args = []any{f.Platform, f.User, f.Workspace}
	}
	rows, err := s.rdb.QueryContext(ctx, q+" ORDER BY platform, workspace, user_id, role", args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.RoleGrant
	for rows.Next() {
		var (
			g  store.RoleGrant
			ms int64
		)
		if err := rows.Scan(&g.Platform, &g.Workspace, &g.User, &g.Role, &g.GrantedBy, &ms); err != nil {
			return nil, s.fail(op, err)
		}
		g.Time = time.UnixMilli(ms).UTC()
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// forgetInAudit replaces user in the audit log, as the granter of roles
// and as the owner of documents and sources by pseudonym, and deletes
// the roles granted to them, within Forget's transaction. A chat person is
// written PLATFORM/[WORKSPACE/]USER, so an actor that is user or ends in
// "/user" names them; actors with a colon (cli:, dashboard:) are not
// chat people. Targets are replaced only where they name a person: role
// changes and forget requests.
func forgetInAudit(ctx context.Context, tx *sql.Tx, user, pseudonym string) error {
	const names = `(%[1]s = ?1 OR (instr(%[1]s, ':') = 0 AND substr(%[1]s, -length(?1) - 1) = '/' || ?1))`
	for _, q := range []string{
		`UPDATE audit_log SET actor = ?2 WHERE ` + fmt.Sprintf(names, "actor"),
		`UPDATE audit_log SET target = ?2 WHERE (action LIKE 'role.%' OR action LIKE 'person.%') AND ` + fmt.Sprintf(names, "target"),
		`UPDATE role_grants SET granted_by = ?2 WHERE ` + fmt.Sprintf(names, "granted_by"),
	} {
		if _, err := tx.ExecContext(ctx, q, user, pseudonym); err != nil {
			return err
		}
	}
	return forgetOwnership(ctx, tx, user, pseudonym)
}

// ownerNames matches an owner written as the chat person ?1: what the
// bot writes, PLATFORM/WORKSPACE/USER or PLATFORM/USER, optionally after
// "user:". A team name, a group, a path or an email address is left
// alone.
const ownerNames = `(instr(%[1]s, ':') = 0 AND substr(%[1]s, -length(?1) - 1) = '/' || ?1
	AND length(%[1]s) - length(replace(%[1]s, '/', '')) BETWEEN 1 AND 2)`

// ownerRef is an owner without its "user:" prefix.
const ownerRef = `(CASE WHEN substr(owner, 1, 5) = 'user:' THEN substr(owner, 6) ELSE owner END)`

// forgetOwnership replaces user as the owner of documents and sources by
// pseudonym, so that a reviewer still sees that the owner was forgotten,
// and deletes the roles granted to them: kept, a grant would tie their
// id to the pseudonymised role.grant entry of the same time. Nothing is
// recorded of it: an admin grants again if needed.
func forgetOwnership(ctx context.Context, tx *sql.Tx, user, pseudonym string) error {
	match := fmt.Sprintf(ownerNames, ownerRef)
	for _, q := range []string{
		`UPDATE documents SET owner = ?2 WHERE ` + match,
		`UPDATE sources SET owner = ?2 WHERE ` + match,
	} {
		if _, err := tx.ExecContext(ctx, q, user, pseudonym); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM role_grants WHERE user_id = ?1`, user); err != nil {
		return err
	}
	// Saves recorded before their detail named no one read "answer by
	// PLATFORM/WORKSPACE/USER, question by ..., source ...": one naming
	// the person keeps only its source.
	if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET detail = 'source ' || substr(detail, instr(detail, ', source ') + 9)
		WHERE action = 'document.save' AND instr(detail, ', source ') > 0 AND instr(detail, '/' || ?1 || ',') > 0`, user); err != nil {
		return err
	}
	return forgetInAuditText(ctx, tx, user, pseudonym)
}

// forgetInAuditText replaces the person in the free text of targets and
// details ("owner slack/T1/U9 → slack/T1/U8"), by store.ForgetPersonIn.
func forgetInAuditText(ctx context.Context, tx *sql.Tx, user, pseudonym string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, target, detail FROM audit_log
		WHERE instr(target, '/' || ?1) > 0 OR instr(detail, '/' || ?1) > 0`, user)
	if err != nil {
		return err
	}
	type entry struct {
		id             int64
		target, detail string
	}
	var changed []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.target, &e.detail); err != nil {
			rows.Close()
			return err
		}
		t, d := store.ForgetPersonIn(e.target, user, pseudonym), store.ForgetPersonIn(e.detail, user, pseudonym)
		if t != e.target || d != e.detail {
			changed = append(changed, entry{e.id, t, d})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range changed {
		if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET target = ?, detail = ? WHERE id = ?`, e.target, e.detail, e.id); err != nil {
			return err
		}
	}
	return nil
}
