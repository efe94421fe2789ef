package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store"
)

// RecordAudit appends an entry to the audit log.
func (s *Store) RecordAudit(ctx context.Context, e store.AuditEntry) error {
	op := fmt.Sprintf("record audit entry %s", store.QuoteID(e.Action))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := store.ValidateAuditEntry(e); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	if e.Time.IsZero() {
		e.Time = s.opts.Clock()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_log (time, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)`,
		millis(e.Time), e.Actor, e.Action, e.Target, e.Detail)
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
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Actor != "" {
		where = append(where, "actor = "+arg(f.Actor))
	}
	if f.Action != "" {
		a := arg(f.Action)
		// The action itself and every action under it; a LIKE pattern
		// would take '_' in an action as a wildcard.
		where = append(where, fmt.Sprintf("(action = %[1]s OR left(action, length(%[1]s) + 1) = %[1]s || '.')", a))
	}
	if !f.Since.IsZero() {
		where = append(where, "time >= "+arg(millis(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "time < "+arg(millis(f.Until)))
	}
	q := "SELECT id, time, actor, action, target, detail FROM audit_log"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY time DESC, id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AuditEntry, error) {
		var e store.AuditEntry
		err := row.Scan(&e.ID, &e.Time, &e.Actor, &e.Action, &e.Target, &e.Detail)
		e.Time = e.Time.UTC()
		return e, err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// GrantRole stores a role grant, keeping an earlier one of the same role.
func (s *Store) GrantRole(ctx context.Context, g store.RoleGrant) (bool, error) {
	const op = "grant role"
	if err := s.usable(op); err != nil {
		return false, err
	}
	if err := store.ValidateRoleGrant(g); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	if g.Time.IsZero() {
		g.Time = s.opts.Clock()
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO role_grants (platform, workspace, user_id, role, granted_by, time)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, g.Platform, g.Workspace, g.User, g.Role, g.GrantedBy, millis(g.Time))
	if err != nil {
		return false, s.fail(op, err)
	}
	return tag.RowsAffected() > 0, nil
}

// RevokeRole removes one grant.
func (s *Store) RevokeRole(ctx context.Context, platform, workspace, user, role string) (bool, error) {
	const op = "revoke role"
	if err := s.usable(op); err != nil {
		return false, err
	}
	if err := store.ValidateRoleGrant(store.RoleGrant{Platform: platform, Workspace: workspace, User: user, Role: role}); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM role_grants WHERE platform = $1 AND workspace = $2 AND user_id = $3 AND role = $4`,
		platform, workspace, user, role)
	if err != nil {
		return false, s.fail(op, err)
	}
	return tag.RowsAffected() > 0, nil
}

// RoleGrants lists the grants f selects, ordered byte by byte as SQLite
// orders them.
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
		q += " WHERE platform = $1 AND user_id = $2 AND workspace IN ('', $3)"
		args = []any{f.Platform, f.User, f.Workspace}
	}
	rows, err := s.pool.Query(ctx, q+` ORDER BY platform COLLATE "C", workspace COLLATE "C", user_id COLLATE "C", role COLLATE "C"`, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.RoleGrant, error) {
		var g store.RoleGrant
		err := row.Scan(&g.Platform, &g.Workspace, &g.User, &g.Role, &g.GrantedBy, &g.Time)
		g.Time = g.Time.UTC()
		return g, err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// forgetInAudit replaces user in the audit log, as the granter of roles
// and as the owner of documents and sources by pseudonym, and deletes
// the roles granted to them, within Forget's transaction, as the SQLite
// store does (see there).
func forgetInAudit(ctx context.Context, tx pgx.Tx, user, pseudonym string) error {
	const names = `(%[1]s = $1 OR (strpos(%[1]s, ':') = 0 AND right(%[1]s, length($1) + 1) = '/' || $1))`
	for _, q := range []string{
		`UPDATE audit_log SET actor = $2 WHERE ` + fmt.Sprintf(names, "actor"),
		`UPDATE audit_log SET target = $2 WHERE (action LIKE 'role.%' OR action LIKE 'person.%') AND ` + fmt.Sprintf(names, "target"),
		`UPDATE role_grants SET granted_by = $2 WHERE ` + fmt.Sprintf(names, "granted_by"),
	} {
		if _, err := tx.Exec(ctx, q, user, pseudonym); err != nil {
			return err
		}
	}
	return forgetOwnership(ctx, tx, user, pseudonym)
}

// ownerNames matches an owner written as the chat person $1, as in the
// SQLite store (see there).
const ownerNames = `(strpos(%[1]s, ':') = 0 AND right(%[1]s, length($1) + 1) = '/' || $1
	AND length(%[1]s) - length(replace(%[1]s, '/', '')) BETWEEN 1 AND 2)`

// ownerRef is an owner without its "user:" prefix.
const ownerRef = `(CASE WHEN left(owner, 5) = 'user:' THEN substr(owner, 6) ELSE owner END)`

// forgetOwnership replaces user as the owner of documents and sources by
// pseudonym and deletes the roles granted to them, as the SQLite store
// does (see there).
func forgetOwnership(ctx context.Context, tx pgx.Tx, user, pseudonym string) error {
	match := fmt.Sprintf(ownerNames, ownerRef)
	for _, q := range []string{
		`UPDATE documents SET owner = $2 WHERE ` + match,
		`UPDATE sources SET owner = $2 WHERE ` + match,
	} {
		if _, err := tx.Exec(ctx, q, user, pseudonym); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM role_grants WHERE user_id = $1`, user); err != nil {
		return err
	}
	// Saves recorded before their detail named no one read "answer by
	// PLATFORM/WORKSPACE/USER, question by ..., source ...": one naming
	// the person keeps only its source.
	if _, err := tx.Exec(ctx, `UPDATE audit_log SET detail = 'source ' || substr(detail, strpos(detail, ', source ') + 9)
		WHERE action = 'document.save' AND strpos(detail, ', source ') > 0 AND strpos(detail, '/' || $1 || ',') > 0`, user); err != nil {
		return err
	}
	return forgetInAuditText(ctx, tx, user, pseudonym)
}

// forgetInAuditText replaces the person in the free text of targets and
// details, as the SQLite store does (see there).
func forgetInAuditText(ctx context.Context, tx pgx.Tx, user, pseudonym string) error {
	rows, err := tx.Query(ctx, `SELECT id, target, detail FROM audit_log
		WHERE strpos(target, '/' || $1) > 0 OR strpos(detail, '/' || $1) > 0`, user)
	if err != nil {
		return err
	}
	type entry struct {
		id             int64
		target, detail string
	}
	var changed []entry
	var e entry
	_, err = pgx.ForEachRow(rows, []any{&e.id, &e.target, &e.detail}, func() error {
		t, d := store.ForgetPersonIn(e.target, user, pseudonym), store.ForgetPersonIn(e.detail, user, pseudonym)
		if t != e.target || d != e.detail {
			changed = append(changed, entry{e.id, t, d})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changed {
		if _, err := tx.Exec(ctx, `UPDATE audit_log SET target = $1, detail = $2 WHERE id = $3`, c.target, c.detail, c.id); err != nil {
			return err
		}
	}
	return nil
}
