package audience

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Static is a Directory read from the configuration: roles by person
// (LORE_ROLES) and members by group (LORE_GROUPS).
type Static struct {
	roles  []grant
	groups []grant
}

// grant gives one person a list of roles or groups.
type grant struct {
	who   Ref
	names []string
}

var _ Directory = (*Static)(nil)

// NewStatic parses the two settings:
//
//	roles:  PERSON=ROLE|ROLE,PERSON=ROLE          (LORE_ROLES)
//	groups: GROUP=PERSON|PERSON,GROUP=PERSON      (LORE_GROUPS)
//
// where PERSON is PLATFORM/[WORKSPACE/]USER. Either may be empty. Every
// problem of both is reported at once.
func NewStatic(roles, groups string) (*Static, error) {
	s := &Static{}
	var errs []error
	for entry := range entries(roles) {
		who, names, ok := strings.Cut(entry, "=")
		ref, err := ParseRef(strings.TrimSpace(who))
		if !ok || err != nil {
			errs = append(errs, fmt.Errorf("roles: %q: want PERSON=ROLE|ROLE with PERSON as PLATFORM/[WORKSPACE/]USER", entry))
			continue
		}
		g := grant{who: ref}
		for role := range strings.SplitSeq(names, "|") {
			role = strings.ToLower(strings.TrimSpace(role))
			if !slices.Contains(Roles, role) {
				errs = append(errs, fmt.Errorf("roles: %q: %q is not one of %s", entry, role, strings.Join(Roles, ", ")))
				continue
			}
			g.names = appendNew(g.names, role)
		}
		s.roles = append(s.roles, g)
	}
	for entry := range entries(groups) {
		name, members, ok := strings.Cut(entry, "=")
		name = strings.TrimSpace(name)
		if !ok || !validName(name) {
			errs = append(errs, fmt.Errorf("groups: %q: want GROUP=PERSON|PERSON with GROUP in lower-case letters, digits, '.', '_' or '-'", entry))
			continue
		}
		for m := range strings.SplitSeq(members, "|") {
			ref, err := ParseRef(strings.TrimSpace(m))
			if err != nil {
				errs = append(errs, fmt.Errorf("groups: %s: %w", name, err))
				continue
			}
			s.groups = append(s.groups, grant{who: ref, names: []string{name}})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// entries yields the non-blank comma-separated entries of spec.
func entries(spec string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for e := range strings.SplitSeq(spec, ",") {
			if e = strings.TrimSpace(e); e != "" && !yield(e) {
				return
			}
		}
	}
}

// Membership returns the roles and groups the configuration gives the
// person; everyone is a learner.
func (s *Static) Membership(_ context.Context, platform, workspace, user string) (Membership, error) {
	m := Membership{Roles: []string{RoleLearner}}
	if s == nil {
		return m, nil
	}
	for _, g := range s.roles {
		if g.who.Matches(platform, workspace, user) {
			for _, r := range g.names {
				m.Roles = appendNew(m.Roles, r)
			}
		}
	}
	for _, g := range s.groups {
		if g.who.Matches(platform, workspace, user) {
			m.Groups = appendNew(m.Groups, g.names[0])
		}
	}
	return m, nil
}

// Members lists the people of a group, in the order the configuration
// names them; an unknown group has none.
func (s *Static) Members(group string) []Ref {
	if s == nil {
		return nil
	}
	var out []Ref
	for _, g := range s.groups {
		if g.names[0] == group {
			out = appendNew(out, g.who)
		}
	}
	return out
}
