// Package nudges delivers micro-learning: learning tracks (package
// nudges/track) sent card by card to learners' direct messages at a time
// that suits them, with quiz cards coming back for review on FSRS-6
// (package nudges/fsrs).
//
// # Flow
//
// The planner (PlanWorker), run periodically as a River job, finds the
// learners whose next delivery slot (their local delivery time on a
// working day, outside quiet periods, snoozes and pauses) falls in the
// coming window, picks the cards due for each (the next new card of every
// track whose cadence allows one, then reviews, at most the learner's
// daily cap), and inserts one DeliverArgs job per learner and slot. River
// keeps those jobs unique per learner and slot, and the deliverer
// (DeliverWorker, Service.Deliver) claims the delivery in the store, one
// attempt at a time, before sending, so with any number of replicas each
// nudge is sent at most once: a nudge an attempt may have sent without
// recording it is not sent blindly again (see Service.Deliver). Once
// claimed, the deliverer checks that the slot is still the learner's
// (time, days, quiet period and zone may have changed), checks the cards
// again (tracks left, cards fetched or reviews answered since the plan) and
// skips a nudge more than MaxLate after its slot. It renders the cards as
// a bot.Reply (quiz options as buttons) and hands it to a Sender, which
// each chat adapter implements; platform errors are retried by River, a
// learner who left the workspace is stopped.
//
// Learners talk to the Service through the bot: "learn" lists, joins and
// leaves tracks, "nudges" sets preferences, quiz buttons and "answer"
// grade quizzes, "reflect" answers a reflection. Every delivery, open,
// answer, snooze and join is an engagement event.
package nudges

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/nudges/fsrs"
	"github.com/lorehq/lore/store"
)

// Sender sends a direct message to a person; the Slack, Discord and shell
// adapters implement it. It returns the platform's id of the message sent,
// which a reply in its thread carries as bot.Message.Thread, or "" when
// the platform has no such id: then reflections are answered with the
// reflect command only. An error wrapping a *url.Error, returned when the
// context ended or the request timed out, says the platform may have the
// message all the same: the nudge is then not sent blindly again.
type Sender interface {
	SendDirect(ctx context.Context, platform, workspace, userID string, reply bot.Reply) (thread string, err error)
}

// DedupingSender is a Sender that can tell, for a platform, how long after
// a send the platform recognises a repeat of it by bot.Reply's
// IdempotencyKey and returns the message already sent instead of sending
// another (Discord's enforced message nonce); 0 when it cannot. A nudge
// an earlier attempt may have sent is sent again only within that window,
// and otherwise recorded as sent without sending (see Service.Deliver).
type DedupingSender interface {
	Sender
	DedupeWindow(platform string) time.Duration
}

// ErrRecipientGone is what a Sender returns (wrapped) when the person has
// left the workspace or cannot be messaged any more: retrying is pointless,
// and the learner is stopped.
var ErrRecipientGone = errors.New("recipient is gone")

// TimeZones finds a person's time zone (an IANA name) in their platform
// profile. Optional: without it, learners who set none use
// Config.DefaultTimeZone.
type TimeZones interface {
	TimeZone(ctx context.Context, platform, workspace, userID string) (string, error)
}

// Store is what the package needs of the database.
type Store interface {
	store.Nudges
	RecordEvent(ctx context.Context, e store.Event) error
	// PersonWorkspaces finds where the sender of a Discord direct
	// message, which names no server, learns (bot.FindHome).
	PersonWorkspaces(ctx context.Context, platform, user string) ([]store.PersonWorkspace, error)
}

var _ bot.Places = Store(nil)

// Config wires a Service. Store is required.
type Config struct {
	Store Store
	// Sender delivers nudges; required by Service.Deliver only.
	Sender    Sender
	TimeZones TimeZones
	// DefaultTimeZone is used for learners whose zone is unknown.
	// Default UTC.
	DefaultTimeZone *time.Location
	// FSRS are the review scheduling parameters. Default
	// fsrs.DefaultParameters (desired retention 0.9).
	FSRS *fsrs.Parameters
	// Onboarding maps a channel to the tracks its new members join.
	Onboarding map[string][]string
	// Directory gives learners their roles and groups, against which
	// track audiences are checked. Default nil: everyone is a learner in
	// no group.
	Directory audience.Directory
	Logger    *slog.Logger     // default slog.Default()
	Clock     func() time.Time // default time.Now
}

// Service is the nudges capability.
type Service struct {
	st         Store
	sender     Sender
	zones      TimeZones
	defaultLoc *time.Location
	sched      *fsrs.Scheduler
	onboarding map[string][]string
	directory  audience.Directory
	log        *slog.Logger
	now        func() time.Time
	tracks     *trackCache
	zoneCache  sync.Map // IANA name → *time.Location; LoadLocation reads a file each time
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("nudges: a Store is required")
	}
	p := fsrs.DefaultParameters()
	if cfg.FSRS != nil {
		p = *cfg.FSRS
	}
	sched, err := fsrs.New(p)
	if err != nil {
		return nil, err
	}
	s := &Service{st: cfg.Store, sender: cfg.Sender, zones: cfg.TimeZones, defaultLoc: cfg.DefaultTimeZone,
		sched: sched, onboarding: cfg.Onboarding, directory: cfg.Directory, log: cfg.Logger, now: cfg.Clock}
	if s.defaultLoc == nil {
		s.defaultLoc = time.UTC
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.tracks = newTrackCache(cfg.Store)
	return s, nil
}

// Default preferences of a learner who set none.
const (
	DefaultDeliveryMinute = 9*60 + 30
	DefaultWeekdays       = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
	DefaultDailyCap       = 3
	MaxDailyCap           = 10
)

// DefaultPreferences are the settings of a learner who changed none.
func DefaultPreferences(l store.Learner) store.Preferences {
	return store.Preferences{Learner: l, DeliveryMinute: DefaultDeliveryMinute, Weekdays: DefaultWeekdays, DailyCap: DefaultDailyCap}
}

// preferences returns a learner's stored preferences or the defaults.
func (s *Service) preferences(ctx context.Context, l store.Learner) (store.Preferences, error) {
	p, err := s.st.Preferences(ctx, l)
	if errors.Is(err, store.ErrNotFound) {
		return DefaultPreferences(l), nil
	}
	return p, err
}

// location resolves a learner's time zone: their own setting, then their
// platform profile, then the default. A profile that cannot be read is an
// error, not the default: planning or sending by the default zone's clock
// would nudge the learner at another hour of their day.
func (s *Service) location(ctx context.Context, p store.Preferences) (*time.Location, error) {
	if p.TimeZone != "" {
		if loc, err := s.loadLocation(p.TimeZone); err == nil {
			return loc, nil
		}
	}
	if s.zones != nil {
		name, err := s.zones.TimeZone(ctx, p.Platform, p.Workspace, p.User)
		if err != nil {
			return nil, fmt.Errorf("time zone of %s: %w", p.User, err)
		}
		if name != "" {
			if loc, err := s.loadLocation(name); err == nil {
				return loc, nil
			}
		}
	}
	return s.defaultLoc, nil
}

// shownLocation is the learner's time zone for a reply, which says what it
// assumed: the default when their profile cannot be read.
func (s *Service) shownLocation(ctx context.Context, p store.Preferences) *time.Location {
	loc, err := s.location(ctx, p)
	if err != nil {
		s.log.WarnContext(ctx, "a learner's time zone cannot be read; the default is assumed", "err", err)
		return s.defaultLoc
	}
	return loc
}

func (s *Service) loadLocation(name string) (*time.Location, error) {
	if loc, ok := s.zoneCache.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	s.zoneCache.Store(name, loc)
	return loc, nil
}

// DeliveryID names the nudge of a learner at a slot; the same learner and
// slot always give the same id, which is what makes delivery idempotent.
func DeliveryID(l store.Learner, slot time.Time) string {
	h := sha256.Sum256([]byte(l.Platform + "\x00" + l.Workspace + "\x00" + l.User + "\x00" + slot.UTC().Format(time.RFC3339Nano)))
	return "n-" + hex.EncodeToString(h[:10])
}

// eventID derives an idempotent event id, so that a retried job or a double
// press records an event once.
func eventID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// newEvent builds an engagement event whose id derives from idParts.
func (s *Service) newEvent(l store.Learner, kind, ref string, value int, idParts ...string) store.Event {
	return store.Event{ID: eventID(append([]string{kind}, idParts...)...), Time: s.now(), Kind: kind,
		Platform: l.Platform, Workspace: l.Workspace, User: l.User, Direct: true, Ref: ref, Value: value}
}

func (s *Service) event(ctx context.Context, l store.Learner, kind, ref string, value int, idParts ...string) {
	e := s.newEvent(l, kind, ref, value, idParts...)
	if err := s.st.RecordEvent(ctx, e); err != nil {
		s.log.WarnContext(ctx, "recording a nudges event failed", "kind", kind, "err", err)
	}
}
