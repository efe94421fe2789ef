package engagement

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

// Buttons of the forget-me confirmation.
const (
	ActionForgetConfirm = "privacy_forget"
	ActionForgetCancel  = "privacy_forget_cancel"
)

// PrivacyStore is what the chat privacy commands need.
type PrivacyStore interface {
	ForgetStore
	SetOptOut(ctx context.Context, user string, optOut bool) error
	OptedOut(ctx context.Context, user string) (bool, error)
	Events(ctx context.Context, f store.EventFilter) ([]store.Event, error)
}

// PrivacyCommands lets people see and control, from chat, what Lore keeps
// about them: `privacy`, `optout analytics`, `optin analytics` and
// `forget me` (confirmed with a button). It does what `lore forget USER
// [--opt-out]` does, for the person speaking only. It satisfies
// bot.Privacy.
type PrivacyCommands struct {
	Store PrivacyStore
	// Mapper says whether statements are made (`privacy` tells); nil when
	// they are off.
	Mapper *Mapper
	// Voider makes the voiding statements of a forgotten person's
	// statements; default Mapper, or when that is nil too, voiding under
	// DefaultIRIBase. Set it where statements are off, so that those
	// stored while they were on are voided under the configured IRI base.
	Voider Voider
	// K is the privacy threshold leaders' figures respect, for the
	// explanation; 0 means DefaultK.
	K     int
	Clock func() time.Time // default time.Now
	Log   *slog.Logger     // default slog.Default()
	// Audit, when set, records each forget request in the audit log,
	// under the pseudonym that replaced the person there (never their
	// id: they asked for it to be deleted), and each analytics opt-out
	// and opt-in as "a person", as `lore forget --opt-out` does.
	Audit interface {
		RecordAudit(ctx context.Context, e store.AuditEntry) error
	}
	// Places finds the workspaces of the person's records on the
	// platform they speak from, which `privacy` and `forget me` name: a
	// Discord direct message names no server, and what Lore keeps of the
	// person is kept under the servers where they use it. Default: Store,
	// when it finds them (both stores do); without it none is named.
	Places bot.Places
}

var _ bot.Privacy = (*PrivacyCommands)(nil)

// maxCounted bounds the events read to describe what is kept.
const maxCounted = 10000

// HandleCommand implements bot.Privacy. Only the exact commands are
// taken: "privacy policy for contractors?" or "forget my password" are
// questions.
func (p *PrivacyCommands) HandleCommand(ctx context.Context, msg bot.Message, cmd, args string) (bot.Reply, bool) {
	args = strings.ToLower(strings.Join(strings.Fields(strings.Trim(strings.TrimSpace(args), ".!")), " "))
	switch {
	case cmd == "privacy" && args == "":
		return p.show(ctx, msg), true
	case (cmd == "optout" || cmd == "opt-out") && args == "analytics":
		return p.optOut(ctx, msg), true
	case (cmd == "optin" || cmd == "opt-in") && args == "analytics":
		return p.optIn(ctx, msg), true
	case cmd == "optout" || cmd == "opt-out" || cmd == "optin" || cmd == "opt-in":
		return bot.Reply{Text: fmt.Sprintf("Say `%s analytics`.", strings.ReplaceAll(cmd, "-", "")), Private: true}, true
	case cmd == "forget" && args == "me":
		if msg.User == "" {
			return bot.Reply{Text: "I can't tell who you are here, so there is nothing of yours to forget.", Private: true}, true
		}
		// A forget is never partial: Discord's user ids are the same in
		// every server, and a person who asks to be forgotten from one
		// place expects to be forgotten, not to stay findable in another.
		// So it covers every place, and the confirmation names them all.
		where, err := p.elsewhere(ctx, msg.Platform, msg.Workspace, msg.User)
		if err != nil {
			return p.failed(ctx, err), true
		}
		everything := "everything I keep about you"
		switch {
		case len(where) == 1:
			everything += " (in " + bot.PlaceName(msg.Platform, where[0].Workspace) + ", where I know you)"
		case len(where) > 1:
			everything += ", in every place where I know you (" + bot.PlaceNames(msg.Platform, where) + ")"
		}
		return bot.Reply{Private: true, Text: "This deletes " + everything + ": your questions, my answers to them, your ratings " +
			"and the rest of your activity; your learning records (those sent to the company's learning record store " +
			"are withdrawn there); your peer profile, help requests and place in past pairing rounds; your learning tracks, " +
			"progress, nudge settings, quiz answers and reflections; and your time zone. Pending nudges are cancelled. " +
			"It cannot be undone. Are you sure?",
			Buttons: []bot.Button{
				{ID: ActionForgetConfirm, Label: "Forget me", Value: msg.User},
				{ID: ActionForgetCancel, Label: "Cancel", Value: msg.User},
			}}, true
	}
	return bot.Reply{}, false
}

// HandleAction implements bot.Privacy: the forget-me buttons. Only the
// person who asked can confirm: a button seen by someone else forgets
// no one.
func (p *PrivacyCommands) HandleAction(ctx context.Context, a bot.Action) (bot.Reply, bool) {
	switch a.ID {
	case ActionForgetCancel:
		return bot.Reply{Text: "Nothing was deleted.", Private: true}, true
	case ActionForgetConfirm:
	default:
		return bot.Reply{}, false
	}
	if a.User == "" || a.User != a.Value {
		return bot.Reply{Text: "This button belongs to the person who asked to be forgotten. Say `forget me` to be forgotten yourself.", Private: true}, true
	}
	// Named before they are forgotten; the reply must not fail for it.
	where, err := p.elsewhere(ctx, a.Platform, a.Workspace, a.User)
	if err != nil {
		p.log().WarnContext(ctx, "finding where a person to forget has records failed", "err", err)
	}
	res, err := Forget(ctx, p.Store, p.voider(), a.User, false, p.now())
	if err != nil {
		p.log().ErrorContext(ctx, "forgetting a person from chat failed", "err", err)
		return bot.Reply{Text: "I couldn't delete your data just now. Please try again; if it keeps failing, ask an admin to run `lore forget` for you.", Private: true}, true
	}
	who := res.Pseudonym
	if who == "" {
		who = aPerson
	}
	// The person asked for themselves: actor and target are the same
	// pseudonym, and the platform alone says where.
	p.audit(ctx, who, store.AuditPersonForget,
		fmt.Sprintf("forget me, from %s: %d events deleted, %d statements voided", a.Platform, res.Events, len(res.Statements)))
	everywhere := ""
	if len(where) > 0 {
		everywhere = " in " + bot.PlaceNames(a.Platform, where)
	}
	text := fmt.Sprintf("Done: I deleted everything I kept about you%s: %s of your activity, and your profile, "+
		"help requests, pairing history, learning tracks, nudge settings and answers, if you had any.", everywhere, plural(res.Events, "record"))
	if len(res.Statements) > 0 {
		text += fmt.Sprintf(" Your %s will be withdrawn from the learning record store.", plural(len(res.Statements), "learning record"))
	}
	return bot.Reply{Text: text + " If you ask me something again, that is recorded as before; say `optout analytics` to keep it anonymous.", Private: true}, true
}

func (p *PrivacyCommands) show(ctx context.Context, msg bot.Message) bot.Reply {
	if msg.User == "" {
		return bot.Reply{Text: "I can't tell who you are here, so I keep nothing that names you.", Private: true}
	}
	out, err := p.Store.OptedOut(ctx, msg.User)
	if err != nil {
		return p.failed(ctx, err)
	}
	events, err := p.Store.Events(ctx, store.EventFilter{User: msg.User, Limit: maxCounted})
	if err != nil {
		return p.failed(ctx, err)
	}
	kinds := map[string]int{}
	for _, e := range events {
		kinds[e.Kind]++
	}
	count := plural(len(events), "record")
	if len(events) == maxCounted {
		count = fmt.Sprintf("at least %d records", maxCounted)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "What I keep about you:\n- %s of your activity", count)
	if len(events) > 0 {
		text := "with their text"
		if kinds[store.EventQuestion] == 1 {
			text = "with its text"
		}
		fmt.Fprintf(&b, " (%s %s, %s, %s, %s)",
			plural(kinds[store.EventQuestion], "question"), text, plural(kinds[store.EventAnswer], "answer"), plural(kinds[store.EventFeedback], "rating"),
			plural(len(events)-kinds[store.EventQuestion]-kinds[store.EventAnswer]-kinds[store.EventFeedback], "other"))
	}
	b.WriteString(", each with its time, platform and channel.")
	if p.Mapper != nil {
		b.WriteString("\n- A learning record (xAPI statement) for each, under a pseudonym: never your user id or email. " +
			"Of the records sent on to a learning record store, I keep their ids, even after the records themselves expire here, " +
			"so that `forget me` can withdraw them there too.")
	}
	b.WriteString("\n- If you use them: your peer profile, help requests and place in pairing rounds, and your learning tracks " +
		"with your progress, quiz answers, reflections and nudge settings.")
	where, err := p.elsewhere(ctx, msg.Platform, msg.Workspace, msg.User)
	if err != nil {
		return p.failed(ctx, err)
	}
	if len(where) > 0 {
		fmt.Fprintf(&b, "\n- All of this, wherever I know you: %s.", bot.PlaceNames(msg.Platform, where))
	}
	k, _ := CheckK(p.K)
	fmt.Fprintf(&b, "\n- Leaders only see figures about groups of at least %d people.", k)
	if out {
		b.WriteString("\n\nYou opted out of analytics: what you do now is kept only as anonymous counts, without your name, thread or question. `optin analytics` undoes it.")
	} else {
		b.WriteString("\n\n`optout analytics` keeps your activity only as anonymous counts.")
	}
	b.WriteString(" `forget me` deletes everything I keep about you.")
	return bot.Reply{Text: b.String(), Private: true}
}

// optOut does what `lore forget USER --opt-out` does: the choice is
// recorded, past events are anonymised and statements withdrawn.
func (p *PrivacyCommands) optOut(ctx context.Context, msg bot.Message) bot.Reply {
	if msg.User == "" {
		return bot.Reply{Text: "I can't tell who you are here, so I keep nothing that names you.", Private: true}
	}
	already, err := p.Store.OptedOut(ctx, msg.User)
	if err != nil {
		return p.failed(ctx, err)
	}
	if err := p.Store.SetOptOut(ctx, msg.User, true); err != nil {
		return p.failed(ctx, err)
	}
	// Run again all the same: whatever still names the person goes.
	res, err := Forget(ctx, p.Store, p.voider(), msg.User, true, p.now())
	if err != nil {
		return p.failed(ctx, err)
	}
	if already && res.Events == 0 {
		return bot.Reply{Private: true, Text: "You are already out of analytics: what you do is kept only as anonymous counts, " +
			"without your name, thread or question. `optin analytics` undoes it."}
	}
	p.audit(ctx, aPerson, store.AuditPersonForget,
		fmt.Sprintf("optout analytics, from %s: opted out of analytics: %d events anonymised", msg.Platform, res.Events))
	return bot.Reply{Private: true, Text: fmt.Sprintf("You are out of analytics. %s of your past activity now count only anonymously, "+
		"and from now on I keep what you do without your name, thread or question. `optin analytics` undoes it.", capitalize(plural(res.Events, "record")))}
}

func (p *PrivacyCommands) optIn(ctx context.Context, msg bot.Message) bot.Reply {
	if msg.User == "" {
		return bot.Reply{Text: "I can't tell who you are here.", Private: true}
	}
	out, err := p.Store.OptedOut(ctx, msg.User)
	if err != nil {
		return p.failed(ctx, err)
	}
	if !out {
		return bot.Reply{Private: true, Text: "You are in analytics already: your activity counts as yours in leaders' figures, " +
			"which only show groups of people. `optout analytics` keeps it only as anonymous counts."}
	}
	if err := p.Store.SetOptOut(ctx, msg.User, false); err != nil {
		return p.failed(ctx, err)
	}
	p.audit(ctx, aPerson, store.AuditPersonOptIn, "optin analytics, from "+msg.Platform)
	return bot.Reply{Private: true, Text: "You are back in analytics: from now on your activity counts as yours again " +
		"(what was anonymised stays anonymous)."}
}

// elsewhere lists the workspaces of platform where user has records,
// when any is not the one they speak from (here): a Discord direct
// message, which names no server, or a person who uses Lore in several.
// Nil means there is nothing to name beyond here.
func (p *PrivacyCommands) elsewhere(ctx context.Context, platform, here, user string) ([]store.PersonWorkspace, error) {
	places := p.Places
	if places == nil {
		places, _ = p.Store.(bot.Places)
	}
	if places == nil || platform == "" || user == "" {
		return nil, nil
	}
	ws, err := places.PersonWorkspaces(ctx, platform, user)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		if w.Workspace != here {
			return ws, nil
		}
	}
	return nil, nil
}

// aPerson names, in the audit log, someone who changed their analytics
// choice: an opt-out is a request to stop keeping their id, so its entry
// must not keep it either (and an opt-in must not tell whose opt-out it
// undoes).
const aPerson = "a person"

// audit records a privacy request, actor and target both who, when an
// audit log is set. The request is done either way: a failure is logged.
func (p *PrivacyCommands) audit(ctx context.Context, who, action, detail string) {
	if p.Audit == nil {
		return
	}
	if err := p.Audit.RecordAudit(ctx, store.AuditEntry{Time: p.now(), Actor: who, Action: action, Target: who, Detail: detail}); err != nil {
		p.log().ErrorContext(ctx, "recording a privacy request in the audit log failed", "action", action, "err", err)
	}
}

func (p *PrivacyCommands) failed(ctx context.Context, err error) bot.Reply {
	p.log().ErrorContext(ctx, "privacy command failed", "err", err)
	return bot.Reply{Text: "I couldn't do that just now. Please try again in a minute.", Private: true}
}

// voider is what makes the voiding statements of a forget; nil leaves the
// default to Forget (a nil Mapper must not become a non-nil Voider).
func (p *PrivacyCommands) voider() Voider {
	switch {
	case p.Voider != nil:
		return p.Voider
	case p.Mapper != nil:
		return p.Mapper
	}
	return nil
}

func (p *PrivacyCommands) now() time.Time {
	if p.Clock != nil {
		return p.Clock()
	}
	return time.Now()
}

func (p *PrivacyCommands) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
