package cli

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/nudges"
)

// Settings of pairing rounds and onboarding.
const (
	// envAdmins lists admins, as role admin in LORE_ROLES does; kept
	// for configurations written before roles.
	envAdmins = "LORE_ADMINS"
	// envRoleMap gives the members of Slack user groups and Discord
	// roles a role.
	envRoleMap = "LORE_ROLE_MAP"
	// envOnboarding says which tracks new members join.
	envOnboarding = "LORE_ONBOARDING"
)

// rosterRouter lists a channel's members through the adapter of its
// platform: the peers.Roster of lore serve, filled as adapters start.
type rosterRouter struct {
	mu      sync.Mutex
	members map[string]func(ctx context.Context, workspace, channel string) ([]string, error)
}

var _ peers.Roster = (*rosterRouter)(nil)

func (r *rosterRouter) add(platform string, members func(ctx context.Context, workspace, channel string) ([]string, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.members == nil {
		r.members = map[string]func(context.Context, string, string) ([]string, error){}
	}
	r.members[platform] = members
}

// ChannelMembers implements peers.Roster. A platform whose adapter is not
// running here (its token is not configured on this replica) is an error:
// the round is retried by the next tick, on a replica that has it. Ticks
// are in the chat queue, which --workers-only replicas do not work.
func (r *rosterRouter) ChannelMembers(ctx context.Context, platform, workspace, channel string) ([]string, error) {
	r.mu.Lock()
	members := r.members[platform]
	r.mu.Unlock()
	if members == nil {
		return nil, fmt.Errorf("no %s adapter is running here to list the members of %s", platform, channel)
	}
	return members(ctx, workspace, channel)
}

func checkAdmins(v string) error {
	_, err := audience.ParseAdmins(v)
	return err
}

// onboardingPlace is a channel id (Slack or Discord) or "*".
var onboardingPlace = regexp.MustCompile(`^(\*|[A-Za-z0-9]{1,40})$`)

// parseOnboarding reads LORE_ONBOARDING: comma-separated PLACE=TRACK[+TRACK]
// entries, PLACE being "*" (new members of the workspace or Discord server)
// or a channel id (new members of that channel, Slack only), for example
// "*=security-basics,C0WELCOME=security-basics+leave-and-time-off".
func parseOnboarding(s string) (map[string][]string, error) {
	out := map[string][]string{}
	var bad []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		place, tracks, ok := strings.Cut(e, "=")
		place = strings.TrimSpace(place)
		if !ok || !onboardingPlace.MatchString(place) {
			bad = append(bad, fmt.Sprintf("%q", e))
			continue
		}
		var ids []string
		for _, t := range strings.Split(tracks, "+") {
			if t = strings.TrimSpace(t); t != "" {
				ids = append(ids, t)
			}
		}
		if len(ids) == 0 {
			bad = append(bad, fmt.Sprintf("%q", e))
			continue
		}
		if place == "*" {
			place = nudges.WorkspaceOnboarding
		}
		for _, id := range ids {
			if !slices.Contains(out[place], id) {
				out[place] = append(out[place], id)
			}
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s: want PLACE=TRACK[+TRACK],... with PLACE * or a channel id, such as *=security-basics", strings.Join(bad, ", "))
	}
	return out, nil
}

func checkOnboarding(v string) error {
	_, err := parseOnboarding(v)
	return err
}

// onboarding reads LORE_ONBOARDING.
func (a *app) onboarding() (map[string][]string, error) {
	m, err := parseOnboarding(a.getenv(envOnboarding))
	if err != nil {
		return nil, usageErrorf("%s: %v", envOnboarding, err)
	}
	return m, nil
}
