package audience

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lorehq/lore/store"
)

// HasRole reports whether m holds role for a permission check: an admin
// holds every role, and everyone is a learner.
func HasRole(m Membership, role string) bool {
	return role == RoleLearner || slices.Contains(m.Roles, role) || slices.Contains(m.Roles, RoleAdmin)
}

// PlatformGroups asks one chat platform which of some groups a person
// belongs to: Slack user groups, Discord roles. The adapters implement it;
// a failed lookup is an error, never a guess.
type PlatformGroups interface {
	// HeldGroups returns those of ids (user group or role ids of
	// workspace) that user holds.
	HeldGroups(ctx context.Context, workspace, user string, ids []string) ([]string, error)
}

// GrantStore keeps the roles granted from chat or the command line, and
// the audit log in which every grant and revocation is recorded.
type GrantStore interface {
	store.RoleGrants
	RecordAudit(ctx context.Context, e store.AuditEntry) error
}

// DirectoryConfig is where a RoleDirectory finds people's roles.
type DirectoryConfig struct {
	// Roles and Groups are the LORE_ROLES and LORE_GROUPS settings (see
	// NewStatic).
	Roles, Groups string
	// Admins is the LORE_ADMINS setting: PLATFORM/[WORKSPACE/]USER
	// entries separated by commas or spaces, each an admin, the same as
	// PERSON=admin in Roles.
	Admins string
	// RoleMap is the LORE_ROLE_MAP setting (see ParseRoleMap).
	RoleMap string
	// Grants, when set, adds the roles stored by Grant.
	Grants GrantStore
	Logger *slog.Logger     // default slog.Default()
	Clock  func() time.Time // default time.Now
}

// RoleDirectory is the one place people's roles come from: the
// configuration (LORE_ROLES, LORE_ADMINS and the groups of LORE_GROUPS),
// roles granted by admins and stored, and membership of the Slack user
// groups and Discord roles LORE_ROLE_MAP names. It is the Directory
// collection audiences are checked against and the admin check of
// pairing rounds (IsAdmin), so every permission reads the same list.
type RoleDirectory struct {
	static  *Static
	grants  GrantStore
	mapping RoleMap
	log     *slog.Logger
	now     func() time.Time

	mu        sync.RWMutex
	platforms map[string]PlatformGroups
}

var _ Directory = (*RoleDirectory)(nil)

// NewRoleDirectory parses the settings of cfg and reports every problem
// at once.
func NewRoleDirectory(cfg DirectoryConfig) (*RoleDirectory, error) {
	var errs []error
	admins, err := ParseAdmins(cfg.Admins)
	if err != nil {
		errs = append(errs, err)
	}
	roles := cfg.Roles
	for _, a := range admins {
		roles += "," + a.String() + "=" + RoleAdmin
	}
	static, err := NewStatic(roles, cfg.Groups)
	if err != nil {
		errs = append(errs, err)
	}
	mapping, err := ParseRoleMap(cfg.RoleMap)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	d := &RoleDirectory{static: static, grants: cfg.Grants, mapping: mapping, log: cfg.Logger, now: cfg.Clock, platforms: map[string]PlatformGroups{}}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d, nil
}

// ParseAdmins reads LORE_ADMINS: PLATFORM/[WORKSPACE/]USER entries
// separated by commas or white space. Every bad entry is reported.
func ParseAdmins(s string) ([]Ref, error) {
	var (
		out  []Ref
		errs []error
	)
	for _, e := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		ref, err := ParseRef(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("admins: %w", err))
			continue
		}
		out = append(out, ref)
	}
	return out, errors.Join(errs...)
}

// Members lists the people LORE_GROUPS puts in group; groups are given
// by the configuration only.
func (d *RoleDirectory) Members(group string) []Ref { return d.static.Members(group) }

// SetPlatform makes p answer the LORE_ROLE_MAP lookups of platform; the
// chat adapters call it as they start, after the directory is made.
func (d *RoleDirectory) SetPlatform(platform string, p PlatformGroups) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.platforms[platform] = p
}

// Membership implements Directory: the roles of the configuration, of the
// stored grants and of the mapped platform groups, and the groups of the
// configuration. A stored grant that cannot be read is an error; a
// platform that cannot be asked grants nothing and is logged.
func (d *RoleDirectory) Membership(ctx context.Context, platform, workspace, user string) (Membership, error) {
	m, err := d.static.Membership(ctx, platform, workspace, user)
	if err != nil {
		return m, err
	}
	if d.grants != nil && user != "" {
		gs, err := d.grants.RoleGrants(ctx, store.RoleGrantFilter{Platform: platform, Workspace: workspace, User: user})
		if err != nil {
			return Membership{}, fmt.Errorf("read the roles granted to %s: %w", Ref{platform, workspace, user}, err)
		}
		for _, g := range gs {
			if slices.Contains(Roles, g.Role) {
				m.Roles = appendNew(m.Roles, g.Role)
			}
		}
	}
	for _, role := range d.mappedRoles(ctx, platform, workspace, user) {
		m.Roles = appendNew(m.Roles, role)
	}
	return m, nil
}

// mappedRoles asks the platform which of the groups LORE_ROLE_MAP names
// user belongs to: those of workspace, or, where the message carries no
// workspace (a Discord direct message), those of every workspace mapped.
func (d *RoleDirectory) mappedRoles(ctx context.Context, platform, workspace, user string) []string {
	if user == "" {
		return nil
	}
	// The group ids to ask about, by the workspace to ask in.
	asks := map[string][]string{}
	var order []string
	for _, e := range d.mapping {
		if e.Group.Platform != platform || workspace != "" && e.Group.Workspace != "" && e.Group.Workspace != workspace {
			continue
		}
		w := e.Group.Workspace
		if w == "" {
			w = workspace
		}
		if _, ok := asks[w]; !ok {
			order = append(order, w)
		}
		asks[w] = appendNew(asks[w], e.Group.ID)
	}
	if len(asks) == 0 {
		return nil
	}
	d.mu.RLock()
	p := d.platforms[platform]
	d.mu.RUnlock()
	if p == nil {
		// lore ask --as, or a replica without that adapter: nobody to
		// ask, so the mapping grants nothing here.
		return nil
	}
	var roles []string
	for _, w := range order {
		held, err := p.HeldGroups(ctx, w, user, asks[w])
		if err != nil {
			// The error comes from the adapter, which keeps tokens out of it.
			d.log.WarnContext(ctx, "looking up a person's platform groups failed; they get no mapped role from them", "platform", platform, "err", err)
			continue
		}
		for _, e := range d.mapping {
			ew := e.Group.Workspace
			if ew == "" {
				ew = workspace
			}
			if e.Group.Platform == platform && ew == w && slices.Contains(held, e.Group.ID) {
				roles = appendNew(roles, e.Role)
			}
		}
	}
	return roles
}

// HasRole reports whether the person holds role; an admin holds every
// role.
func (d *RoleDirectory) HasRole(ctx context.Context, platform, workspace, user, role string) (bool, error) {
	m, err := d.Membership(ctx, platform, workspace, user)
	if err != nil {
		return false, err
	}
	return HasRole(m, role), nil
}

// IsAdmin reports whether the person is an admin; a failed lookup is a
// no, logged. It satisfies bot/peers.AdminChecker.
func (d *RoleDirectory) IsAdmin(ctx context.Context, platform, workspace, user string) bool {
	ok, err := d.HasRole(ctx, platform, workspace, user, RoleAdmin)
	if err != nil {
		d.log.WarnContext(ctx, "checking for the admin role failed", "err", err)
	}
	return ok
}

// Grants says whether roles can be granted and revoked (a store keeps
// them).
func (d *RoleDirectory) Grants() bool { return d.grants != nil }

// ErrNoGrants is returned by Grant and Revoke when no store keeps roles.
var ErrNoGrants = errors.New("roles cannot be granted here: no database keeps them")

// Grant gives who role, recorded in the audit log with actor as the one
// who did it (an AuditEntry's Actor). added is false when who already had
// that stored grant. A role of the configuration is not looked at: the
// grant is stored anyway, so that it outlives a change of configuration.
func (d *RoleDirectory) Grant(ctx context.Context, who Ref, role, actor string) (added bool, err error) {
	if err := checkGrant(who, role); err != nil {
		return false, err
	}
	if d.grants == nil {
		return false, ErrNoGrants
	}
	added, err = d.grants.GrantRole(ctx, store.RoleGrant{Platform: who.Platform, Workspace: who.Workspace, User: who.ID,
		Role: role, GrantedBy: actor, Time: d.now()})
	if err != nil || !added {
		return added, err
	}
	return true, d.audit(ctx, store.AuditRoleGrant, actor, who, role)
}

// Revoke removes a stored grant of role to exactly who (the same
// workspace, or none), recorded in the audit log. removed is false when
// there was no such grant; roles of the configuration or of a platform
// group cannot be revoked here.
func (d *RoleDirectory) Revoke(ctx context.Context, who Ref, role, actor string) (removed bool, err error) {
	if err := checkGrant(who, role); err != nil {
		return false, err
	}
	if d.grants == nil {
		return false, ErrNoGrants
	}
	removed, err = d.grants.RevokeRole(ctx, who.Platform, who.Workspace, who.ID, role)
	if err != nil || !removed {
		return removed, err
	}
	return true, d.audit(ctx, store.AuditRoleRevoke, actor, who, role)
}

// GrantError is a grant or revocation refused for what it asks: a role
// that cannot be granted, or a person that cannot be named.
type GrantError struct{ Reason string }

func (e *GrantError) Error() string { return e.Reason }

func checkGrant(who Ref, role string) error {
	if role == RoleLearner {
		return &GrantError{"everyone is a learner already; grant admin, curator or leader"}
	}
	if !slices.Contains(Roles, role) {
		return &GrantError{fmt.Sprintf("%q is not a role: use admin, curator or leader", role)}
	}
	if _, err := ParseRef(who.String()); err != nil {
		return &GrantError{err.Error()}
	}
	return nil
}

func (d *RoleDirectory) audit(ctx context.Context, action, actor string, who Ref, role string) error {
	err := d.grants.RecordAudit(ctx, store.AuditEntry{Time: d.now(), Actor: actor, Action: action, Target: who.String(), Detail: role})
	if err != nil {
		return fmt.Errorf("the role changed, but recording it in the audit log failed: %w", err)
	}
	return nil
}

// Holder is one way a person or a platform group holds a role.
type Holder struct {
	// Who is a person (PLATFORM/[WORKSPACE/]USER), or a platform group
	// (PLATFORM/[WORKSPACE/]GROUP) whose members hold the role.
	Who  string
	Role string
	// From says where the role comes from: "configuration", "granted"
	// (then By and Since say by whom and when) or "platform group".
	From  string
	By    string
	Since time.Time
}

// Sources of a Holder.
const (
	FromConfiguration = "configuration"
	FromGrant         = "granted"
	FromPlatformGroup = "platform group"
)

// Holders lists who holds which role other than learner: the
// configuration's people, the stored grants and the mapped platform
// groups, in that order.
func (d *RoleDirectory) Holders(ctx context.Context) ([]Holder, error) {
	var out []Holder
	for _, g := range d.static.roles {
		for _, r := range g.names {
			if r != RoleLearner {
				out = append(out, Holder{Who: g.who.String(), Role: r, From: FromConfiguration})
			}
		}
	}
	if d.grants != nil {
		gs, err := d.grants.RoleGrants(ctx, store.RoleGrantFilter{})
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			out = append(out, Holder{Who: Ref{g.Platform, g.Workspace, g.User}.String(), Role: g.Role, From: FromGrant, By: g.GrantedBy, Since: g.Time})
		}
	}
	for _, e := range d.mapping {
		out = append(out, Holder{Who: e.Group.String(), Role: e.Role, From: FromPlatformGroup})
	}
	return out, nil
}

// RoleMapping gives the members of one platform group a role.
type RoleMapping struct {
	Role  string
	Group Ref // slack/TEAM/S0123ABCD (a user group), discord/GUILD/ROLE_ID (a role)
}

// RoleMap is the LORE_ROLE_MAP setting, parsed.
type RoleMap []RoleMapping

// ParseRoleMap reads ROLE=GROUP|GROUP,ROLE=GROUP with GROUP as
// PLATFORM/[WORKSPACE/]ID: a Slack user group (slack/T024BE7LD/S0123ABCD)
// or a Discord role (discord/GUILD_ID/ROLE_ID). Every bad entry is
// reported at once.
func ParseRoleMap(s string) (RoleMap, error) {
	var (
		out  RoleMap
		errs []error
	)
	for entry := range entries(s) {
		role, groups, ok := strings.Cut(entry, "=")
		role = strings.ToLower(strings.TrimSpace(role))
		if !ok || !slices.Contains(Roles, role) || role == RoleLearner {
			errs = append(errs, fmt.Errorf("role map: %q: want ROLE=PLATFORM/[WORKSPACE/]GROUP|... with ROLE admin, curator or leader", entry))
			continue
		}
		for g := range strings.SplitSeq(groups, "|") {
			ref, err := ParseRef(strings.TrimSpace(g))
			if err != nil {
				errs = append(errs, fmt.Errorf("role map: %s: %w", role, err))
				continue
			}
			if ref.Platform != "slack" && ref.Platform != "discord" {
				errs = append(errs, fmt.Errorf("role map: %s: %q: only slack user groups and discord roles can be mapped", role, g))
				continue
			}
			out = append(out, RoleMapping{Role: role, Group: ref})
		}
	}
	return out, errors.Join(errs...)
}
