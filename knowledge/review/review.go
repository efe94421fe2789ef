// Package review reminds owners of the documents that need them: those
// whose review date has come (front matter review_by, or a source's
// --review-every) and those cited by answers that drew several 👎 in a
// week, with the questions that went badly.
//
// Each owner gets one direct message listing all their documents. An
// owner written as a chat person (PLATFORM/[WORKSPACE/]USER, or
// user:PLATFORM/...) is messaged; an owner that names a group of
// LORE_GROUPS messages its members; any other owner (a team name such as
// "People Team") sends its documents to the fallback reviewers, and
// without reviewers they are only listed (lore review) and logged. A
// document is named at most once a week for each reason, across replicas:
// the store records what was sent (store.Reviews), after a short claim
// that a replica stopping before it sends cannot keep.
package review

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// Store is what reminders need from the database.
type Store interface {
	DueForReview(ctx context.Context, by time.Time) ([]store.Document, error)
	Document(ctx context.Context, id string) (store.Document, error)
	store.Feedback
	store.Reviews
}

// Messenger sends direct messages; lore serve's chat router is one. The
// reply's text is Markdown whose document and question text is not
// escaped: each chat adapter escapes it for its platform.
type Messenger interface {
	SendDirect(ctx context.Context, platform, workspace string, users []string, reply bot.Reply) error
}

// Groups lists the members of a configured group; *audience.Static is one.
type Groups interface {
	Members(group string) []audience.Ref
}

var _ Groups = (*audience.Static)(nil)

// Defaults and limits.
const (
	// DefaultDownvotes is how many 👎 in a week make a document worth a
	// reminder.
	DefaultDownvotes = 3
	// Week is both the period over which 👎 are counted and the least time
	// between two reminders of one document for one reason.
	Week = 7 * 24 * time.Hour
	// Lease is how long a run's claim on a reminder lasts before it is
	// delivered: a replica that stops between claiming and sending
	// holds its reminders no longer, and the next run sends them. Longer
	// than a run's sends take.
	Lease = 15 * time.Minute
	// MaxQuestions bounds the questions quoted for a document.
	MaxQuestions = 5
	// maxQuestionRunes and maxTitleRunes keep a message readable.
	maxQuestionRunes = 200
	maxTitleRunes    = 150
)

// Platforms are the chat platforms an owner may be written on.
var Platforms = []string{"slack", "discord", "shell"}

// ErrNoMessenger means reminders were to be sent with no way to send them.
var ErrNoMessenger = errors.New("no messenger to send reminders with")

// Config configures a Service.
type Config struct {
	Store Store // required
	// Messenger sends the reminders; nil lets the Service list them but
	// not send them.
	Messenger Messenger
	// Groups resolves owners that name a group; nil: none do.
	Groups Groups
	// Reviewers get the documents whose owner is no one Lore can reach.
	Reviewers []audience.Ref
	// Downvotes is the number of 👎 in a week that calls for a reminder;
	// default DefaultDownvotes.
	Downvotes int
	Clock     func() time.Time // default time.Now
	Logger    *slog.Logger     // default slog.Default()
}

// Service finds and sends owners' reminders.
type Service struct {
	cfg Config
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("review: Config.Store is required")
	}
	if cfg.Downvotes < 0 {
		return nil, fmt.Errorf("review: %d downvotes: want a positive number", cfg.Downvotes)
	}
	if cfg.Downvotes == 0 {
		cfg.Downvotes = DefaultDownvotes
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}, nil
}

// Where an item's reminder goes.
const (
	RouteOwner     = "owner"     // the owner is a chat person
	RouteGroup     = "group"     // the owner names a group: its members
	RouteReviewers = "reviewers" // the fallback reviewers
	RouteNone      = "none"      // nowhere: listed and logged only
)

// Item is one document that needs its owner, for one reason.
type Item struct {
	Document store.Document
	// Reason is store.ReviewDue or store.ReviewDownvoted.
	Reason string
	// Downvotes is the 👎 of the last week on answers citing the document,
	// and Questions the questions of those answers, newest first, at most
	// MaxQuestions (for store.ReviewDownvoted).
	Downvotes int
	Questions []string
	// LastSent is when the owner was last reminded of it for this reason
	// within the last week; zero when not, and then the next Send
	// reminds them.
	LastSent time.Time
	// Route says where the reminder goes: to Recipients, who are the
	// owner, the group's members or the reviewers; Group names the group.
	Route      string
	Group      string
	Recipients []audience.Ref
}

// Items lists what needs owners now: documents due for review, earliest
// first, then documents whose answers drew at least Downvotes 👎 in the
// last week, most 👎 first.
func (s *Service) Items(ctx context.Context) ([]Item, error) {
	now := s.cfg.Clock()
	due, err := s.cfg.Store.DueForReview(ctx, now)
	if err != nil {
		return nil, err
	}
	var items []Item
	for _, d := range due {
		items = append(items, Item{Document: d, Reason: store.ReviewDue})
	}
	down, err := s.downvoted(ctx, now)
	if err != nil {
		return nil, err
	}
	items = append(items, down...)
	sent, err := s.cfg.Store.ReviewNotices(ctx, now.Add(-Week))
	if err != nil {
		return nil, err
	}
	last := make(map[[2]string]time.Time, len(sent))
	for _, n := range sent {
		// A week to the millisecond is long enough: the claim agrees.
		if now.Sub(n.SentAt) < Week {
			last[[2]string{n.DocID, n.Reason}] = n.SentAt
		}
	}
	for i := range items {
		it := &items[i]
		it.LastSent = last[[2]string{it.Document.ID, it.Reason}]
		it.Route, it.Group, it.Recipients = s.route(it.Document.Owner)
	}
	return items, nil
}

// downvoted finds the published documents cited by answers that drew at
// least Downvotes 👎 in the week before now.
func (s *Service) downvoted(ctx context.Context, now time.Time) ([]Item, error) {
	rated, err := s.cfg.Store.RatedAnswers(ctx, now.Add(-Week))
	if err != nil {
		return nil, err
	}
	type tally struct {
		down      int
		questions []string
	}
	byDoc := map[string]*tally{}
	// Rated answers come newest first, so questions do too.
	for _, r := range rated {
		if r.Unhelpful == 0 {
			continue
		}
		for _, id := range r.Answer.DocIDs {
			t := byDoc[id]
			if t == nil {
				t = &tally{}
				byDoc[id] = t
			}
			t.down += r.Unhelpful
			q := oneLine(r.Answer.Question, maxQuestionRunes)
			if q != "" && len(t.questions) < MaxQuestions && !slices.Contains(t.questions, q) {
				t.questions = append(t.questions, q)
			}
		}
	}
	var items []Item
	for id, t := range byDoc {
		if t.down < s.cfg.Downvotes {
			continue
		}
		d, err := s.cfg.Store.Document(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // removed since: nothing left to review
		}
		if err != nil {
			return nil, err
		}
		if d.Status != store.StatusPublished {
			continue
		}
		items = append(items, Item{Document: d, Reason: store.ReviewDownvoted, Downvotes: t.down, Questions: t.questions})
	}
	slices.SortFunc(items, func(a, b Item) int {
		return cmp.Or(cmp.Compare(b.Downvotes, a.Downvotes), cmp.Compare(a.Document.ID, b.Document.ID))
	})
	return items, nil
}

// route resolves an owner: a chat person, a group, else the reviewers.
func (s *Service) route(owner string) (route, group string, to []audience.Ref) {
	owner = strings.TrimSpace(owner)
	if ref, ok := personRef(owner); ok {
		return RouteOwner, "", []audience.Ref{ref}
	}
	if s.cfg.Groups != nil && owner != "" {
		for _, name := range groupNames(owner) {
			if members := s.cfg.Groups.Members(name); len(members) > 0 {
				return RouteGroup, name, members
			}
		}
	}
	if len(s.cfg.Reviewers) > 0 {
		return RouteReviewers, "", slices.Clone(s.cfg.Reviewers)
	}
	return RouteNone, "", nil
}

// personRef reads an owner written as a chat person: user:REF, or a REF
// on one of Platforms (so that an owner such as "hr/payroll" is not taken
// for a person).
func personRef(owner string) (audience.Ref, bool) {
	explicit := strings.HasPrefix(owner, "user:")
	ref, err := audience.ParseRef(strings.TrimPrefix(owner, "user:"))
	if err != nil || (!explicit && !slices.Contains(Platforms, ref.Platform)) {
		return audience.Ref{}, false
	}
	return ref, true
}

// groupNames are the group names an owner may mean: "group:hr", "hr", and
// "People Team" as people-team or people_team.
func groupNames(owner string) []string {
	name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(owner, "group:")))
	words := strings.Fields(name)
	return slices.Compact([]string{name, strings.Join(words, "-"), strings.Join(words, "_")})
}

// oneLine makes text from a document or a question fit one line of a
// list: valid UTF-8, no control characters, white space (new lines
// included, so no text can start a line of its own) collapsed, at most
// max characters.
func oneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}
