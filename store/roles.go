package store

import (
	"context"
	"errors"
	"time"
)

// RoleGrant gives one person a role, as an admin granted it from chat or
// the command line. Roles in the configuration are not stored.
type RoleGrant struct {
	Platform string
	// Workspace is the Slack team or Discord guild; empty grants the role
	// in every workspace of the platform.
	Workspace string
	User      string
	// Role is a role name; the store keeps it as text (package
	// knowledge/audience knows the roles).
	Role string
	// GrantedBy is the admin who granted it, as an AuditEntry's Actor.
	GrantedBy string
	Time      time.Time
}

// RoleGrantFilter selects role grants. With User set, it selects the
// grants of that person on Platform: those of Workspace and those of
// every workspace. Empty, it selects every grant.
type RoleGrantFilter struct {
	Platform  string
	Workspace string
	User      string
}

// RoleGrants keeps roles granted to people. Forgetting a person
// (Engagement.Forget) deletes the roles granted to them.
type RoleGrants interface {
	// GrantRole stores g; added is false when the person already had the
	// role there (the earlier grant is kept). A zero Time is the store's
	// clock.
	GrantRole(ctx context.Context, g RoleGrant) (added bool, err error)
	// RevokeRole removes the grant of role to exactly this platform,
	// workspace and user; removed is false when there was none.
	RevokeRole(ctx context.Context, platform, workspace, user, role string) (removed bool, err error)
	// RoleGrants lists the grants f selects, by platform, workspace,
	// user and role.
	RoleGrants(ctx context.Context, f RoleGrantFilter) ([]RoleGrant, error)
}

// ValidateRoleGrant refuses a grant without platform, user or role, or
// with text over its limit, not UTF-8 or holding control characters. The
// error wraps ErrInvalidInput.
func ValidateRoleGrant(g RoleGrant) error {
	var errs []error
	for _, f := range []struct{ name, v string }{{"platform", g.Platform}, {"user", g.User}, {"role", g.Role}} {
		if f.v == "" {
			errs = append(errs, Invalid("role grant: %s is empty", f.name))
		}
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{
		{"platform", g.Platform, MaxID}, {"workspace", g.Workspace, MaxID}, {"user", g.User, MaxID},
		{"role", g.Role, MaxID}, {"granted by", g.GrantedBy, maxAuditActor},
	} {
		if err := checkField("role grant "+f.name, f.v, f.max); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ValidateRoleGrantFilter refuses text no grant can hold: not UTF-8, or
// holding control characters. An id longer than any grant's finds
// nothing, as any read does: the roles of a person whose id is too long
// to store are those of the configuration.
func ValidateRoleGrantFilter(f RoleGrantFilter) error {
	anyLength := func(name, v string) error { return checkField(name, v, len(v)) }
	return errors.Join(anyLength("platform", f.Platform), anyLength("workspace", f.Workspace), anyLength("user", f.User))
}
