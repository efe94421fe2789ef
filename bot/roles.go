package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/lorehq/lore/knowledge/audience"
)

// RoleAdmin is the role directory as the role commands use it: people's
// roles, and granting and revoking them with an audit entry.
// audience.RoleDirectory is one.
type RoleAdmin interface {
	audience.Directory
	Grant(ctx context.Context, who audience.Ref, role, actor string) (added bool, err error)
	Revoke(ctx context.Context, who audience.Ref, role, actor string) (removed bool, err error)
	Holders(ctx context.Context) ([]audience.Holder, error)
}

var _ RoleAdmin = (*audience.RoleDirectory)(nil)

// Actor names the sender of msg in the audit log: PLATFORM/[WORKSPACE/]USER.
func Actor(msg Message) string {
	return audience.Ref{Platform: msg.Platform, Workspace: msg.Workspace, ID: msg.User}.String()
}

// HasRole reports whether the sender of msg holds role; an admin holds
// every role and everyone is a learner. The roles are those of the
// Directory the Bot was made with; without one, everyone is a learner
// only. See SenderHasRole for capabilities that have no *Bot.
func (b *Bot) HasRole(ctx context.Context, msg Message, role string) (bool, error) {
	return SenderHasRole(ctx, b.directory, msg, role)
}

// Refusal is the plain reply to someone without the role a command needs;
// see RoleRefusal.
func (b *Bot) Refusal(ctx context.Context, role, what string) Reply {
	return RoleRefusal(ctx, b.directory, role, what, b.log)
}

// SenderHasRole reports whether the sender of msg holds role according to
// dir: an admin holds every role, everyone is a learner, and a nil dir
// (or a message without a sender) gives no other role. Capabilities that
// refuse commands to people without a role (curator commands, say) take
// the same Directory as the bot (audience.RoleDirectory) and call it, then
// answer a refusal with RoleRefusal.
func SenderHasRole(ctx context.Context, dir audience.Directory, msg Message, role string) (bool, error) {
	if role == audience.RoleLearner {
		return true, nil
	}
	if dir == nil || msg.User == "" {
		return false, nil
	}
	m, err := dir.Membership(ctx, msg.Platform, msg.Workspace, msg.User)
	if err != nil {
		return false, err
	}
	return audience.HasRole(m, role), nil
}

// RoleRefusal is the plain, private reply to someone without the role a
// command needs: "Only curators can approve documents; ask one of: ...",
// naming the people who hold the role (admins included) when dir can list
// them (a RoleAdmin). what completes "Only ROLEs can ...". log, when not
// nil, hears of a failure to list them.
func RoleRefusal(ctx context.Context, dir audience.Directory, role, what string, log *slog.Logger) Reply {
	text := fmt.Sprintf("Only %ss can %s.", role, what)
	if who := holdersOf(ctx, dir, role, log); len(who) > 0 {
		text = fmt.Sprintf("Only %ss can %s; ask one of: %s.", role, what, strings.Join(who, ", "))
	} else {
		text += " Ask whoever runs Lore to give you the role."
	}
	return Reply{Text: text, Private: true}
}

// maxNamed bounds the people a refusal names.
const maxNamed = 10

// holdersOf lists the people who hold role or admin, as configured or
// granted (members of mapped platform groups are named by the group).
func holdersOf(ctx context.Context, dir audience.Directory, role string, log *slog.Logger) []string {
	ra, ok := dir.(RoleAdmin)
	if !ok {
		return nil
	}
	hs, err := ra.Holders(ctx)
	if err != nil {
		if log != nil {
			log.WarnContext(ctx, "listing role holders failed", "err", err)
		}
		return nil
	}
	var out []string
	for _, h := range hs {
		if h.Role != role && h.Role != audience.RoleAdmin {
			continue
		}
		who := h.Who
		if h.From == audience.FromPlatformGroup {
			who = "members of " + who
		}
		if !slices.Contains(out, who) {
			out = append(out, who)
		}
	}
	if len(out) > maxNamed {
		out = append(out[:maxNamed], fmt.Sprintf("%d more", len(out)-maxNamed))
	}
	return out
}

const rolesUsage = "`roles` lists who has which role; `role grant @person ROLE` and `role revoke @person ROLE` change them (ROLE: admin, curator or leader)."

// roleCommand handles "roles", "roles grant|revoke ..." and
// "role grant|revoke ...". ok is false for anything else, which is then
// a question ("role of HR in hiring?").
func (b *Bot) roleCommand(ctx context.Context, msg Message, cmd, args string) (Reply, bool) {
	ra, hasRoles := b.directory.(RoleAdmin)
	if !hasRoles {
		return Reply{}, false
	}
	fields := strings.Fields(args)
	sub := ""
	if len(fields) > 0 {
		sub = strings.ToLower(fields[0])
	}
	switch {
	case cmd == "roles" && len(fields) == 0:
	case (cmd == "roles" || cmd == "role") && (sub == "grant" || sub == "revoke"):
	case (cmd == "roles" || cmd == "role") && sub == "help" && len(fields) == 1:
		return Reply{Text: rolesUsage, Private: true}, true
	default:
		return Reply{}, false
	}
	admin, err := b.HasRole(ctx, msg, audience.RoleAdmin)
	if err != nil {
		b.log.ErrorContext(ctx, "checking for the admin role failed", "err", err)
		return Reply{Text: "I couldn't check your role just now. Please try again in a minute.", Private: true}, true
	}
	if !admin {
		what := "see everyone's roles"
		if sub != "" {
			what = "grant and revoke roles"
		}
		r := b.Refusal(ctx, audience.RoleAdmin, what)
		if m, err := b.directory.Membership(ctx, msg.Platform, msg.Workspace, msg.User); err == nil && msg.User != "" {
			r.Text += " Your roles: " + strings.Join(m.Roles, ", ") + "."
		}
		return r, true
	}
	if sub == "" {
		return b.listRoles(ctx, ra), true
	}
	if len(fields) != 3 {
		return Reply{Text: "Say `role " + sub + " @person ROLE`, for example `role " + sub + " @ann curator`.", Private: true}, true
	}
	who, err := MentionedPerson(msg, fields[1])
	if err != nil {
		return Reply{Text: err.Error(), Private: true}, true
	}
	role := strings.ToLower(fields[2])
	if sub == "grant" {
		added, err := ra.Grant(ctx, who, role, Actor(msg))
		switch {
		case added && err != nil:
			return b.unaudited(ctx, fmt.Sprintf("%s is now %s", who, withArticle(role)), err), true
		case err != nil:
			return b.roleTrouble(ctx, err), true
		case !added:
			return Reply{Text: fmt.Sprintf("%s already has the role %s here.", who, role), Private: true}, true
		}
		return Reply{Text: fmt.Sprintf("%s is now %s. The change is in the audit log.", who, withArticle(role)), Private: true}, true
	}
	removed, err := ra.Revoke(ctx, who, role, Actor(msg))
	switch {
	case removed && err != nil:
		return b.unaudited(ctx, fmt.Sprintf("%s is no longer %s (by grant)", who, withArticle(role)), err), true
	case err != nil:
		return b.roleTrouble(ctx, err), true
	case !removed:
		return Reply{Text: fmt.Sprintf("%s has no %s role granted here to revoke. Roles given in the configuration (LORE_ROLES, LORE_ADMINS) "+
			"or by a Slack user group or Discord role (LORE_ROLE_MAP) are changed there; `roles` shows where each comes from.", who, role), Private: true}, true
	}
	return Reply{Text: fmt.Sprintf("%s is no longer %s (by grant). The change is in the audit log.", who, withArticle(role)), Private: true}, true
}

func (b *Bot) roleTrouble(ctx context.Context, err error) Reply {
	var ge *audience.GrantError
	switch {
	case errors.Is(err, audience.ErrNoGrants):
		return Reply{Text: "Roles can't be granted here: " + err.Error() + ".", Private: true}
	case errors.As(err, &ge):
		return Reply{Text: capitalize(ge.Reason) + ".", Private: true}
	}
	b.log.ErrorContext(ctx, "changing a role failed", "err", err)
	return Reply{Text: "I couldn't change that role just now. Please try again in a minute.", Private: true}
}

// unaudited is the reply to a role change made but not recorded in the
// audit log: the change stands, and the admin is told of the gap.
func (b *Bot) unaudited(ctx context.Context, done string, err error) Reply {
	b.log.ErrorContext(ctx, "a role change was not recorded in the audit log", "err", err)
	return Reply{Text: done + ", but recording it in the audit log failed; tell whoever runs Lore.", Private: true}
}

// withArticle is "a curator", "an admin".
func withArticle(role string) string {
	if role != "" && strings.ContainsRune("aeiou", rune(role[0])) {
		return "an " + role
	}
	return "a " + role
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (b *Bot) listRoles(ctx context.Context, ra RoleAdmin) Reply {
	hs, err := ra.Holders(ctx)
	if err != nil {
		b.log.ErrorContext(ctx, "listing roles failed", "err", err)
		return Reply{Text: "I couldn't read the roles just now. Please try again in a minute.", Private: true}
	}
	if len(hs) == 0 {
		return Reply{Text: "Nobody has a role besides learner yet. " + rolesUsage, Private: true}
	}
	var sb strings.Builder
	sb.WriteString("Roles (everyone is also a learner):")
	for _, role := range []string{audience.RoleAdmin, audience.RoleCurator, audience.RoleLeader} {
		var lines []string
		for _, h := range hs {
			if h.Role != role {
				continue
			}
			switch h.From {
			case audience.FromGrant:
				lines = append(lines, fmt.Sprintf("%s (granted by %s, %s)", h.Who, h.By, h.Since.UTC().Format("2006-01-02")))
			case audience.FromPlatformGroup:
				lines = append(lines, fmt.Sprintf("members of %s", h.Who))
			default:
				lines = append(lines, fmt.Sprintf("%s (configuration)", h.Who))
			}
		}
		if len(lines) > 0 {
			fmt.Fprintf(&sb, "\n- %ss: %s", capitalize(role), strings.Join(lines, "; "))
		}
	}
	return Reply{Text: sb.String(), Private: true}
}

// chatMentions are what a mention looks like where the platform turns
// one into an id: <@U012AB3CD> or <@U012AB3CD|ann> (Slack, W… for Enterprise
// Grid), <@80351110224678912> or <@!80351110224678912> (Discord). The
// submatch is the user id.
var chatMentions = map[string]*regexp.Regexp{
	"slack":   regexp.MustCompile(`^<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>$`),
	"discord": regexp.MustCompile(`^<@!?([0-9]{5,25})>$`),
}

// platformNames are the platforms' names in replies.
var platformNames = map[string]string{"slack": "Slack", "discord": "Discord"}

// MentionedPerson reads the person a role command in msg names.
//
// In Slack and Discord it must be a mention, which the platform has
// turned into an id: a name typed as text ("@ann", "@WALTER") or a bare id
// is refused, as is a PLATFORM/[WORKSPACE/]USER, so that a grant made in
// chat holds where it was made: in the sender's Slack workspace, or, on
// Discord, for that person everywhere on Discord (ids are global there,
// and direct messages carry no server). Platform-wide and cross-platform
// grants are made at the command line (lore roles grant).
//
// Elsewhere (the terminal chat, whose user can run the command line
// anyway) it is @name or a bare id in msg's platform and workspace, or a
// full PLATFORM/[WORKSPACE/]USER.
func MentionedPerson(msg Message, s string) (audience.Ref, error) {
	if pattern, ok := chatMentions[msg.Platform]; ok {
		return chatMentioned(msg, pattern, s)
	}
	var ref audience.Ref
	if strings.Contains(s, "/") {
		var err error
		if ref, err = audience.ParseRef(s); err != nil {
			return audience.Ref{}, fmt.Errorf("I can't tell who %s is: mention them (@name) or write PLATFORM/[WORKSPACE/]USER", s)
		}
		return ref, nil
	}
	ref = audience.Ref{Platform: msg.Platform, Workspace: msg.Workspace, ID: strings.TrimPrefix(s, "@")}
	if _, err := audience.ParseRef(ref.String()); err != nil || msg.Platform == "" {
		return audience.Ref{}, fmt.Errorf("I can't tell who %s is: mention them (@name) or write PLATFORM/[WORKSPACE/]USER", s)
	}
	return ref, nil
}

// chatMentioned reads a mention of a person on msg's platform, Slack or
// Discord.
func chatMentioned(msg Message, pattern *regexp.Regexp, s string) (audience.Ref, error) {
	name := platformNames[msg.Platform]
	m := pattern.FindStringSubmatch(s)
	switch {
	case m == nil && strings.Contains(s, "/"):
		return audience.Ref{}, fmt.Errorf("Roles granted in %s chat hold only where they are granted, so I can't grant one to %s. "+
			"Mention a person here, or grant it at the command line: `lore roles grant PERSON ROLE`", name, s)
	case m == nil && strings.HasPrefix(s, "<@"):
		return audience.Ref{}, fmt.Errorf("%s is not a mention of a %s user: mention someone in this %s", s, name, place(msg.Platform))
	case m == nil:
		// "@ann" typed without picking ann from the list arrives as text,
		// not as her id: a name is refused rather than granted a role.
		return audience.Ref{}, fmt.Errorf("I can't tell who %s is: pick them from the list as you type @ so that it becomes a mention", s)
	}
	ref := audience.Ref{Platform: msg.Platform, Workspace: msg.Workspace, ID: m[1]}
	if msg.Platform == "discord" {
		// Discord user ids are unique across servers, and direct messages
		// carry no server: a person named without one is the same person
		// in a server's channels and in direct messages.
		ref.Workspace = ""
	} else if msg.Workspace == "" {
		// Without its workspace the grant would hold in every one.
		return audience.Ref{}, fmt.Errorf("I can't tell which %s workspace this is, so I grant nothing here: "+
			"grant it at the command line: `lore roles grant PERSON ROLE`", name)
	}
	if _, err := audience.ParseRef(ref.String()); err != nil {
		return audience.Ref{}, fmt.Errorf("I can't tell who %s is: pick them from the list as you type @ so that it becomes a mention", s)
	}
	return ref, nil
}

// place is where a person is mentioned on platform.
func place(platform string) string {
	if platform == "discord" {
		return "server"
	}
	return "workspace"
}
