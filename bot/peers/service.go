// Package peers is Lore's peer capability: people say what they can help
// with and want to learn (the profile command), Lore finds colleagues who
// know a topic and asks one of them for the asker (connect, and "Ask a
// person" on an answer), and pairing rounds introduce members of a channel
// to each other on a schedule.
//
// The package depends on the core's platform-neutral types (bot.Message,
// bot.Action, bot.Reply) and on two small interfaces the chat adapters
// implement: Messenger, to send direct and group messages, and Roster, to
// list a channel's members. It never imports an adapter.
package peers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

// Messenger sends Lore's messages to people outside the conversation Lore
// is answering in. Adapters implement it: with one user it is a direct
// message, with several a group conversation (Slack conversations.open
// with several users; a Discord group DM or private thread).
type Messenger interface {
	SendDirect(ctx context.Context, platform, workspace string, userIDs []string, reply bot.Reply) error
}

// Roster lists the members of a channel, for pairing rounds. Adapters
// implement it; bots and deactivated users are left out by the adapter.
type Roster interface {
	ChannelMembers(ctx context.Context, platform, workspace, channel string) ([]string, error)
}

// EventLog is where the peer capability records engagement and finds the
// answer an "Ask a person" press refers to.
type EventLog interface {
	RecordEvent(ctx context.Context, e store.Event) error
	Events(ctx context.Context, f store.EventFilter) ([]store.Event, error)
}

// Button ids of the peer capability. Their values are request or round
// ids, short enough for every platform (Discord allows 100 bytes).
const (
	ActionAsk           = "peers_ask"            // the asker picks an expert; value: request id
	ActionAccept        = "peers_accept"         // the expert accepts; value: request id
	ActionDecline       = "peers_decline"        // the expert declines; value: request id
	ActionMetYes        = "peers_met_yes"        // check-in answer; value: round id
	ActionMetNo         = "peers_met_no"         // check-in answer; value: round id
	ActionDeleteProfile = "peers_delete_profile" // confirms profile delete; value: workspace/user id
)

// Defaults of Config.
const (
	DefaultWeeklyCap = 3
	// DefaultSuggestions is how many people connect suggests.
	DefaultSuggestions = 3
)

// Config wires a Service. Store, Events and Messenger are required.
type Config struct {
	Store     store.Peers
	Events    EventLog
	Messenger Messenger
	// Roster lists channel members for pairing rounds. Default nil: rounds
	// cannot run (RunRound returns an error), everything else works.
	Roster Roster
	// Skills normalises skills. Default NewSkills(DefaultSynonyms).
	Skills *Skills
	// Admins may turn pairing rounds on and off from chat, each written
	// "platform/user", for example "slack/U012AB3CD". Default none.
	// Ignored when AdminCheck is set.
	Admins []string
	// AdminCheck says who is an admin; default the Admins list.
	AdminCheck AdminChecker
	// Audit, when set, records each change of a channel's pairing rounds
	// from chat in the audit log. Default nil: none recorded.
	Audit AuditLog
	// WeeklyCap is how many requests one person is asked in seven days
	// at most. Default DefaultWeeklyCap.
	WeeklyCap int
	// Collections gives the collections' audiences, which decide the
	// documents skills are inferred from. Default: Store, when it lists
	// collections (both stores do); without them no skill is inferred
	// from documents.
	Collections CollectionSettings
	// Places finds the workspace a Discord direct message, which names
	// no server, acts in for its sender (bot.FindHome). Default: Store,
	// when it finds them (both stores do); without it such a message
	// acts outside any workspace.
	Places bot.Places
	Logger *slog.Logger     // default slog.Default()
	Clock  func() time.Time // default time.Now
	NewID  func() string    // default random UUIDs
}

// Service is the peer capability. It implements bot.Peers.
type Service struct {
	store       store.Peers
	events      EventLog
	messenger   Messenger
	roster      Roster
	skills      *Skills
	weeklyCap   int
	collections CollectionSettings
	places      bot.Places
	locks       store.Locks
	admins      AdminChecker
	audit       AuditLog
	log         *slog.Logger
	now         func() time.Time
	newID       func() string
}

var _ bot.Peers = (*Service)(nil)

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Events == nil || cfg.Messenger == nil {
		return nil, errors.New("peers: Store, Events and Messenger are required")
	}
	s := &Service{
		store: cfg.Store, events: cfg.Events, messenger: cfg.Messenger, roster: cfg.Roster,
		skills: cfg.Skills, weeklyCap: cfg.WeeklyCap, collections: cfg.Collections, log: cfg.Logger, now: cfg.Clock, newID: cfg.NewID,
	}
	if s.collections == nil {
		s.collections, _ = cfg.Store.(CollectionSettings)
	}
	s.places = cfg.Places
	if s.places == nil {
		s.places, _ = cfg.Store.(bot.Places)
	}
	// Both stores keep locks, which keep two ticks from running at once.
	s.locks, _ = cfg.Store.(store.Locks)
	s.admins = cfg.AdminCheck
	s.audit = cfg.Audit
	if s.admins == nil {
		l, err := ParseAdminList(strings.Join(cfg.Admins, ","))
		if err != nil {
			return nil, fmt.Errorf("peers: %w", err)
		}
		s.admins = l
	}
	if s.skills == nil {
		s.skills = NewSkills(DefaultSynonyms)
	}
	if s.weeklyCap <= 0 {
		s.weeklyCap = DefaultWeeklyCap
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = uuid.NewString
	}
	return s, nil
}

// Command implements bot.Peers.
func (s *Service) Command(ctx context.Context, msg bot.Message, cmd, args string) bot.Reply {
	var run func(context.Context, bot.Message, string) bot.Reply
	switch cmd {
	case "profile":
		run = s.profileCommand
	case "connect":
		run = s.connectCommand
	default:
		return bot.Reply{Text: "I don't know that command. Type `help` to see what I can do."}
	}
	key, _ := splitKey(args)
	// Help needs no workspace, and pairing rounds belong to the channel
	// the command is typed in, which a direct message is not.
	if key == "help" || (cmd == "connect" && (key == "" || key == "rounds")) {
		return run(ctx, msg, args)
	}
	msg, note, refusal, ok := s.home(ctx, msg)
	if !ok {
		return refusal
	}
	r := run(ctx, msg, args)
	if note != "" {
		r.Text += "\n\n" + note
	}
	return r
}

// home is msg in the workspace it acts in for its sender: a Discord
// direct message names no server, and acts in the one where the person's
// records are (bot.FindHome); note, when not empty, ends the reply. ok is
// false when that cannot be told, or the store fails: refusal is then the
// reply, and nothing may change.
func (s *Service) home(ctx context.Context, msg bot.Message) (in bot.Message, note string, refusal bot.Reply, ok bool) {
	home, err := bot.FindHome(ctx, s.places, msg)
	if err != nil {
		return msg, "", s.storeTrouble(ctx, "finding the person's workspace", err), false
	}
	if len(home.Unsure) > 0 {
		return msg, "", bot.Reply{Text: bot.WhichPlace(msg.Platform, home.Unsure, nil), Private: true}, false
	}
	msg.Workspace = home.Workspace
	return msg, home.Note, bot.Reply{}, true
}

// Action implements bot.Peers.
func (s *Service) Action(ctx context.Context, a bot.Action) (bot.Reply, bool) {
	switch a.ID {
	case ActionAsk:
		return s.askExpert(ctx, a), true
	case ActionAccept:
		return s.answerRequest(ctx, a, true), true
	case ActionDecline:
		return s.answerRequest(ctx, a, false), true
	case ActionMetYes:
		return s.recordMet(ctx, a, +1), true
	case ActionMetNo:
		return s.recordMet(ctx, a, -1), true
	case ActionDeleteProfile:
		return s.deleteProfile(ctx, a), true
	}
	return bot.Reply{}, false
}

// person is who sent msg.
func person(msg bot.Message) store.PersonKey {
	return store.PersonKey{Platform: msg.Platform, Workspace: msg.Workspace, User: msg.User}
}

// loadProfile returns the person's profile, or a new empty one.
func (s *Service) loadProfile(ctx context.Context, who store.PersonKey) (store.Profile, error) {
	p, err := s.store.Profile(ctx, who)
	if errors.Is(err, store.ErrNotFound) {
		return store.Profile{PersonKey: who}, nil
	}
	return p, err
}

// storeTrouble is the reply when the database fails; the details go to
// the log, not to the person.
func (s *Service) storeTrouble(ctx context.Context, what string, err error) bot.Reply {
	s.log.ErrorContext(ctx, "peers: "+what+" failed", "err", err)
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return bot.Reply{Text: "I can't reach my database right now, so nothing was changed. Please try again in a minute.", Private: true}
	}
	return bot.Reply{Text: "Something went wrong on my side, so nothing was changed. Please try again; if it keeps happening, tell an admin.", Private: true}
}

// record logs an engagement event; a failure is logged only.
func (s *Service) record(ctx context.Context, e store.Event) {
	if e.ID == "" {
		e.ID = s.newID()
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	if err := s.events.RecordEvent(ctx, e); err != nil {
		s.log.WarnContext(ctx, "peers: recording engagement failed", "kind", e.Kind, "err", err)
	}
}

// displayName is how a person is named in Lore's messages: their profile
// name when they gave one, else their user id.
func displayName(p store.Profile) string {
	if p.Name != "" {
		return defuse(p.Name)
	}
	return defuse(p.User)
}
