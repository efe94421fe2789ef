// Package audience says who may be answered from a collection of
// documents.
//
// A collection's audience is a list of entries, written separated by
// spaces or commas:
//
//	everyone                               anyone, anywhere (the default)
//	role:curator                           people with a role (admin, curator, leader, learner)
//	group:engineering                      members of a group
//	user:slack/T024BE7LD/U012AB3CD         one person (user:PLATFORM/[WORKSPACE/]USER)
//	channel:slack/T024BE7LD/C0123ABCD      one channel (channel:PLATFORM/[WORKSPACE/]CHANNEL)
//
// An answer is read by everyone where it is posted, so a collection is
// cited only when every reader of the answer is in its audience. In a
// direct message the asker alone reads it: a role, group or user entry
// matching the asker admits them. In a channel its members read it, and
// Lore cannot check them one by one: only a channel entry naming that
// channel admits it. A channel entry therefore opens a collection to
// whoever can ask in that channel.
//
// A platform reference without a workspace (slack/U012AB3CD) matches in
// any workspace; the terminal chat has none (shell/you, channel:shell/general).
package audience

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Roles a person may have. Everyone is a learner; the other roles come
// from a Directory (RoleDirectory: the configuration, grants, platform
// groups). An admin holds every role for permission checks (HasRole).
const (
	RoleAdmin   = "admin"
	RoleCurator = "curator"
	RoleLeader  = "leader"
	RoleLearner = "learner"
)

// Roles lists the roles, as they are written.
var Roles = []string{RoleAdmin, RoleCurator, RoleLeader, RoleLearner}

// Everyone is the audience of a collection without one.
const Everyone = "everyone"

// Ref names a person or a channel on a platform. An empty Workspace
// matches every workspace.
type Ref struct {
	Platform  string
	Workspace string
	ID        string
}

// String writes r as it is parsed: PLATFORM/[WORKSPACE/]ID.
func (r Ref) String() string {
	if r.Workspace == "" {
		return r.Platform + "/" + r.ID
	}
	return r.Platform + "/" + r.Workspace + "/" + r.ID
}

// Matches reports whether r names the person or channel id of platform
// and workspace.
func (r Ref) Matches(platform, workspace, id string) bool {
	return r.Platform == platform && r.ID == id && (r.Workspace == "" || r.Workspace == workspace)
}

// clip shortens a value an error quotes: an id pasted by mistake (a
// whole log line, say) is not echoed in full.
func clip(s string) string {
	const most = 64
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ParseRef parses PLATFORM/ID or PLATFORM/WORKSPACE/ID. Each part is 1 to
// 100 letters, digits or '.', '_', '-', '#', '@'; the platform is lower
// case.
func ParseRef(s string) (Ref, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return Ref{}, fmt.Errorf("%q: want PLATFORM/ID or PLATFORM/WORKSPACE/ID, such as slack/T024BE7LD/U012AB3CD", clip(s))
	}
	for i, p := range parts {
		if !validPart(p) {
			return Ref{}, fmt.Errorf("%q: part %d (%q, %d bytes) must be 1 to 100 letters, digits or . _ - # @", clip(s), i+1, clip(p), len(p))
		}
	}
	if parts[0] != strings.ToLower(parts[0]) {
		return Ref{}, fmt.Errorf("%q: the platform is written in lower case (%s)", s, strings.ToLower(parts[0]))
	}
	if len(parts) == 2 {
		return Ref{Platform: parts[0], ID: parts[1]}, nil
	}
	return Ref{Platform: parts[0], Workspace: parts[1], ID: parts[2]}, nil
}

func validPart(p string) bool {
	if p == "" || len(p) > 100 {
		return false
	}
	for _, r := range p {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-#@", r)
		if !ok {
			return false
		}
	}
	return true
}

// validName reports whether s is a group name: 1 to 64 lower-case
// letters, digits, '.', '_' or '-', starting with a letter or digit.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && strings.ContainsRune("._-", r)
		if !ok {
			return false
		}
	}
	return true
}

// Audience is a parsed audience. The zero value admits nobody; Parse("")
// admits everyone.
type Audience struct {
	Everyone bool
	Roles    []string
	Groups   []string
	Users    []Ref
	Channels []Ref
}

// Parse reads an audience. An empty or blank text is everyone. Every bad
// entry is reported, at once.
func Parse(text string) (Audience, error) {
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	if len(fields) == 0 {
		return Audience{Everyone: true}, nil
	}
	var (
		a    Audience
		errs []error
	)
	for _, f := range fields {
		kind, value, _ := strings.Cut(f, ":")
		switch strings.ToLower(kind) {
		case Everyone:
			if value != "" {
				errs = append(errs, fmt.Errorf("%q: everyone takes no value", f))
			}
			a.Everyone = true
		case "role":
			if !slices.Contains(Roles, value) {
				errs = append(errs, fmt.Errorf("%q: the role must be one of %s", f, strings.Join(Roles, ", ")))
				continue
			}
			a.Roles = appendNew(a.Roles, value)
		case "group":
			if !validName(value) {
				errs = append(errs, fmt.Errorf("%q: a group name is 1 to 64 lower-case letters, digits, '.', '_' or '-'", f))
				continue
			}
			a.Groups = appendNew(a.Groups, value)
		case "user", "channel":
			r, err := ParseRef(value)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", kind, err))
				continue
			}
			if kind == "user" {
				a.Users = appendNew(a.Users, r)
			} else {
				a.Channels = appendNew(a.Channels, r)
			}
		default:
			errs = append(errs, fmt.Errorf("%q: an entry is everyone, role:NAME, group:NAME, user:PLATFORM/[WORKSPACE/]USER or channel:PLATFORM/[WORKSPACE/]CHANNEL", f))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Audience{}, fmt.Errorf("audience: %w", err)
	}
	if a.Everyone && len(fields) > 1 {
		return Audience{}, errors.New("audience: everyone cannot be combined with other entries")
	}
	return a, nil
}

func appendNew[T comparable](xs []T, x T) []T {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}

// String writes the audience in the form Parse reads, entries in a fixed
// order: roles, groups, users, channels.
func (a Audience) String() string {
	if a.Everyone {
		return Everyone
	}
	var out []string
	for _, r := range a.Roles {
		out = append(out, "role:"+r)
	}
	for _, g := range a.Groups {
		out = append(out, "group:"+g)
	}
	for _, u := range a.Users {
		out = append(out, "user:"+u.String())
	}
	for _, c := range a.Channels {
		out = append(out, "channel:"+c.String())
	}
	return strings.Join(out, " ")
}

// Reader is someone asking, and where: everything an audience is checked
// against.
type Reader struct {
	Platform  string
	Workspace string
	User      string
	// Channel is where the answer is posted; Direct is true for a direct
	// message, read by the asker alone.
	Channel string
	Direct  bool
	Membership
}

// Membership is the roles and groups a person has.
type Membership struct {
	Roles  []string
	Groups []string
}

// Admits reports whether every reader of an answer to r may read the
// audience's documents (see the package comment).
func (a Audience) Admits(r Reader) bool {
	if a.Everyone {
		return true
	}
	if !r.Direct {
		return slices.ContainsFunc(a.Channels, func(c Ref) bool { return c.Matches(r.Platform, r.Workspace, r.Channel) })
	}
	for _, role := range a.Roles {
		if role == RoleLearner || slices.Contains(r.Roles, role) {
			return true
		}
	}
	for _, g := range a.Groups {
		if slices.Contains(r.Groups, g) {
			return true
		}
	}
	return slices.ContainsFunc(a.Users, func(u Ref) bool { return u.Matches(r.Platform, r.Workspace, r.User) })
}

// Directory looks up the roles and groups of a person. Static reads the
// configuration alone; RoleDirectory, which lore wires, adds stored grants
// and Slack user groups or Discord roles.
type Directory interface {
	Membership(ctx context.Context, platform, workspace, user string) (Membership, error)
}
