package peers

import (
	"context"
	"fmt"
	"strings"

	"github.com/lorehq/lore/store"
)

// AdminChecker says who may change a channel's pairing rounds from chat.
// lore wires knowledge/audience.RoleDirectory, the one list of roles
// (configuration, stored grants, platform groups); AdminList is the
// fallback of a Config without one.
type AdminChecker interface {
	IsAdmin(ctx context.Context, platform, workspace, user string) bool
}

// AuditLog records changes made from chat; the store is one.
type AuditLog interface {
	RecordAudit(ctx context.Context, e store.AuditEntry) error
}

// AdminList is an AdminChecker from a fixed list of people, each written
// "platform/user" ("slack/U012AB3CD", "discord/80351110224678912"): the
// LORE_ADMINS setting. A person is an admin in every workspace of their
// platform.
type AdminList struct{ set map[string]bool }

// ParseAdminList reads comma- or space-separated "platform/user" entries
// and reports every malformed one at once.
func ParseAdminList(s string) (AdminList, error) {
	l := AdminList{set: map[string]bool{}}
	var bad []string
	for _, e := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		platform, user, ok := strings.Cut(e, "/")
		if !ok || platform == "" || user == "" || strings.Contains(user, "/") || platform != strings.ToLower(platform) {
			bad = append(bad, fmt.Sprintf("%q", e))
			continue
		}
		l.set[platform+"/"+user] = true
	}
	if len(bad) > 0 {
		return l, fmt.Errorf("admins: %s: want platform/user, such as slack/U012AB3CD or discord/80351110224678912", strings.Join(bad, ", "))
	}
	return l, nil
}

// IsAdmin implements AdminChecker.
func (l AdminList) IsAdmin(_ context.Context, platform, _, user string) bool {
	return l.set[platform+"/"+user]
}

// Len is the number of admins listed.
func (l AdminList) Len() int { return len(l.set) }
