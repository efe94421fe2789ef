// Package curation lets a knowledge base grow from chat, with curators in
// charge of what is published.
//
// Curators (people with the curator or admin role) run the knowledge base
// from chat: "sources" lists the sources and how their last sync went,
// "sources set NAME every 1h" (or review, approval) changes one in place,
// "add URL [COLLECTION]" registers a web page as a source and queues its
// first sync, "gaps" shows the questions Lore could not answer, and
// "approve" lists the drafts waiting for review ("approve DOC" publishes
// one). Anyone else asking for these is told plainly that only curators
// can.
//
// Anyone can propose content: "suggest URL" fetches the page once, under
// the rules of knowledge/fetch, and "suggest TEXT" takes the text itself;
// "Save to knowledge" on a colleague's answer in a thread keeps the
// question and the answer. Each becomes a draft document in the
// suggestions collection, whatever that collection's approval rule,
// credited to its author through the document's Owner, so nobody is
// answered from it until a curator approves it.
//
// The package reaches the rest of Lore through small interfaces (the
// store, a source registry that queues syncs, the indexer, a URL reader,
// roles, an audit log), wired in cmd/lore/cli.
package curation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
)

// Store is what the capability reads and changes in the database.
type Store interface {
	ListSources(ctx context.Context) ([]store.Source, error)
	UpdateSource(ctx context.Context, name string, u store.SourceUpdate) (before, after store.Source, err error)
	Drafts(ctx context.Context) ([]store.Document, error)
	Document(ctx context.Context, id string) (store.Document, error)
	PublishDocument(ctx context.Context, id string) error
	ListCollections(ctx context.Context) ([]store.Collection, error)
	SetCollection(ctx context.Context, c store.Collection) error
}

// SourceRegistry registers a source and queues its first sync. The CLI
// wires the store's AddSource and the River job queue (jobs.SyncSourceArgs).
type SourceRegistry interface {
	// AddSource registers src; a taken name wraps store.ErrSourceExists,
	// a refused field store.ErrInvalidInput.
	AddSource(ctx context.Context, src store.Source) error
	// QueueSync queues a sync of the named source now.
	QueueSync(ctx context.Context, name string) error
}

// Indexer analyses, embeds and stores a document; *knowledge.Service is
// one.
type Indexer interface {
	AddDocument(ctx context.Context, doc store.Document, pieces []ingest.Piece) (int, error)
}

var _ Indexer = (*knowledge.Service)(nil)

// URLReader fetches and parses one page, under the rules of
// knowledge/fetch; sources.ReadURL with a fetch.Client is one. It returns
// the page and the URL it was read from, after redirects.
type URLReader interface {
	ReadURL(ctx context.Context, url string) (parsed ingest.Parsed, final string, err error)
}

// EventLog is the engagement log: suggestions and saves are recorded in
// it (the saver of an answer is recorded there), and counted from it for
// the daily limit; unanswered questions are read from it for "gaps".
type EventLog interface {
	RecordEvent(ctx context.Context, e store.Event) error
	Events(ctx context.Context, f store.EventFilter) ([]store.Event, error)
}

// Roles says whether someone may curate. DirectoryRoles is the one Lore
// has today; a role model of its own can take its place without this
// package changing.
type Roles interface {
	CanCurate(ctx context.Context, platform, workspace, user string) (bool, error)
}

// DirectoryRoles grants curation to curators and admins (an admin is a
// curator too) as an audience.Directory reports them (LORE_ROLES).
type DirectoryRoles struct{ Directory audience.Directory }

// CanCurate implements Roles.
func (d DirectoryRoles) CanCurate(ctx context.Context, platform, workspace, user string) (bool, error) {
	if d.Directory == nil {
		return false, nil
	}
	m, err := d.Directory.Membership(ctx, platform, workspace, user)
	if err != nil {
		return false, err
	}
	return audience.HasRole(m, audience.RoleCurator), nil
}

// Auditor records who changed what. Another part of Lore keeps the audit
// log; without one, changes are only logged.
type Auditor interface {
	Audit(ctx context.Context, actor, action, target, detail string) error
}

// Audit actions this package records.
const (
	AuditAddSource    = store.AuditSourceAdd
	AuditUpdateSource = store.AuditSourceUpdate
	AuditApprove      = store.AuditDocumentApprove
	AuditSuggest      = store.AuditDocumentSuggest
	AuditSave         = store.AuditDocumentSave
)

// Engagement event kinds this package records.
const (
	// EventSuggestion is a suggestion made with "suggest"; Ref is the
	// draft's document id, Question its title.
	EventSuggestion = "suggestion"
	// EventSaved is an answer saved with "Save to knowledge"; User is the
	// saver, Ref the draft's document id, Question its title.
	EventSaved = "knowledge_saved"
)

// Defaults of Config.
const (
	DefaultSuggestionsCollection = "suggestions"
	DefaultSuggestionsPerDay     = 20
	// MaxSuggestionBytes bounds a text suggestion and each of a saved
	// question and answer: far more than a chat message holds.
	MaxSuggestionBytes = 16 << 10
	// maxListed bounds the rows of a chat table.
	maxListed = 20
	// syncEvery is the re-sync schedule of a source added from chat, as
	// 'lore sources add' gives by default.
	syncEvery = 24 * time.Hour
	// dayWindow is the period of SuggestionsPerDay.
	dayWindow = 24 * time.Hour
)

// Config wires a Service. Store, Roles and Events are required; without
// Sources "add" is refused, without Index "suggest" and saving are.
type Config struct {
	Store   Store
	Roles   Roles
	Events  EventLog
	Sources SourceRegistry // optional
	Index   Indexer        // optional
	Reader  URLReader      // optional: without it "suggest URL" is refused
	Auditor Auditor        // optional
	// SuggestionsCollection is where suggestions and saved answers go.
	// Default DefaultSuggestionsCollection (LORE_SUGGESTIONS_COLLECTION).
	SuggestionsCollection string
	// SuggestionsPerDay bounds suggestions and saves per person in 24
	// hours. Default DefaultSuggestionsPerDay; negative for no limit.
	SuggestionsPerDay int
	Logger            *slog.Logger     // default slog.Default()
	Clock             func() time.Time // default time.Now
	NewID             func() string    // default random UUIDs
}

// Service is the curation capability.
type Service struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
}

var _ bot.Curation = (*Service)(nil)

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Roles == nil || cfg.Events == nil {
		return nil, errors.New("curation: Store, Roles and Events are required")
	}
	if cfg.SuggestionsCollection == "" {
		cfg.SuggestionsCollection = DefaultSuggestionsCollection
	}
	if err := store.ValidateCollection(store.Collection{Name: cfg.SuggestionsCollection}); err != nil {
		return nil, fmt.Errorf("curation: suggestions collection: %w", err)
	}
	if cfg.SuggestionsPerDay == 0 {
		cfg.SuggestionsPerDay = DefaultSuggestionsPerDay
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	s := &Service{cfg: cfg, log: cfg.Logger, now: cfg.Clock}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// HandleCommand implements bot.Curation. A command word followed by what
// reads as a question ("add a printer?") is left to be answered.
func (s *Service) HandleCommand(ctx context.Context, msg bot.Message, cmd, args string) (bot.Reply, bool) {
	args = strings.TrimSpace(args)
	fields := strings.Fields(args)
	if len(fields) > 0 {
		fields[0] = bareURL(fields[0])
	}
	switch cmd {
	case "suggest":
		return s.suggest(ctx, msg, args), true
	case "sources", "gaps":
		if cmd == "sources" && isSetCommand(fields, args) {
			return s.curatorOnly(ctx, msg, "change sources", func() bot.Reply { return s.setSource(ctx, msg, fields[1:]) }), true
		}
		if len(fields) > 0 && !strings.EqualFold(args, "help") {
			return bot.Reply{}, false
		}
		if cmd == "sources" {
			return s.curatorOnly(ctx, msg, "list the sources", func() bot.Reply { return s.sources(ctx) }), true
		}
		return s.curatorOnly(ctx, msg, "see the content gaps", func() bot.Reply { return s.gaps(ctx) }), true
	case "add":
		kind := ""
		if len(fields) > 1 && slices.Contains(addKinds, strings.ToLower(fields[0])) {
			kind, fields = strings.ToLower(fields[0]), fields[1:]
			fields[0] = bareURL(fields[0])
		}
		if len(fields) == 0 || len(fields) > 2 || !strings.Contains(fields[0], "://") {
			return bot.Reply{}, false
		}
		return s.curatorOnly(ctx, msg, "add sources", func() bot.Reply { return s.add(ctx, msg, kind, fields) }), true
	case "approve":
		if len(fields) > 1 || strings.Contains(args, "?") {
			return bot.Reply{}, false
		}
		return s.curatorOnly(ctx, msg, "review and approve drafts", func() bot.Reply {
			if len(fields) == 0 {
				return s.drafts(ctx)
			}
			return s.approve(ctx, msg, fields[0])
		}), true
	}
	return bot.Reply{}, false
}

// curatorOnly runs do when the sender may curate, and says plainly why not
// otherwise.
func (s *Service) curatorOnly(ctx context.Context, msg bot.Message, what string, do func() bot.Reply) bot.Reply {
	ok, err := s.cfg.Roles.CanCurate(ctx, msg.Platform, msg.Workspace, msg.User)
	if err != nil {
		s.log.WarnContext(ctx, "looking up a curator's role failed", "err", err)
		return bot.Reply{Text: "I couldn't check your role just now, so I did nothing. Please try again in a minute.", Private: true}
	}
	if !ok {
		return bot.Reply{Text: "Only curators can " + what + ". Ask an admin to give you the curator role if you need it; " +
			"anyone can propose content with `suggest URL` or `suggest TEXT`.", Private: true}
	}
	r := do()
	r.Private = true
	return r
}

// person names someone as the audience syntax does: PLATFORM/WORKSPACE/USER,
// or PLATFORM/USER without a workspace.
func person(platform, workspace, user string) string {
	return audience.Ref{Platform: platform, Workspace: workspace, ID: user}.String()
}

// audit records a change in the audit log when there is one; a failure is
// logged, the change itself having been made.
func (s *Service) audit(ctx context.Context, actor, action, target, detail string) {
	s.log.InfoContext(ctx, "curation", "actor", actor, "action", action, "target", target)
	if s.cfg.Auditor == nil {
		return
	}
	if err := s.cfg.Auditor.Audit(ctx, actor, action, target, detail); err != nil {
		s.log.WarnContext(ctx, "recording an audit entry failed", "action", action, "target", target, "err", err)
	}
}
