package cli

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/curation"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/knowledge/jobs"
	"github.com/lorehq/lore/knowledge/sources"
	"github.com/lorehq/lore/store"
)

// jobInserter inserts one River job; the queue's client is one.
type jobInserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// syncQueue queues source syncs through the job queue of lore serve, which
// opens after the bot is wired; until then (and in lore chat) it refuses,
// and "add" says how to sync by hand.
type syncQueue struct {
	mu sync.Mutex
	q  jobInserter
}

func (s *syncQueue) set(q jobInserter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.q = q
}

// sourceRegistry registers sources in the store and queues their first
// sync: curation.SourceRegistry.
type sourceRegistry struct {
	st    store.Sources
	queue *syncQueue
}

var _ curation.SourceRegistry = sourceRegistry{}

func (r sourceRegistry) AddSource(ctx context.Context, src store.Source) error {
	return r.st.AddSource(ctx, src)
}

func (r sourceRegistry) QueueSync(ctx context.Context, name string) error {
	return r.queue.QueueSourceSync(ctx, name)
}

// QueueSourceSync implements jobs.SourceSyncQueue.
func (s *syncQueue) QueueSourceSync(ctx context.Context, name string) error {
	s.mu.Lock()
	q := s.q
	s.mu.Unlock()
	if q == nil {
		return errors.New("the job queue is not running in this process")
	}
	_, err := q.Insert(ctx, jobs.SyncSourceArgs{Name: name}, nil)
	return err
}

// urlReader reads suggested pages with the fetch rules of source syncs.
type urlReader struct {
	c   *fetch.Client
	pdf ingest.PDFReader
}

func (u urlReader) ReadURL(ctx context.Context, url string) (ingest.Parsed, string, error) {
	return sources.ReadURL(ctx, u.c, url, ingest.Options{PDF: u.pdf})
}

// curationCapability wires the curation commands and Save to knowledge:
// roles from the directory (LORE_ROLES), suggestions into
// LORE_SUGGESTIONS_COLLECTION at most LORE_SUGGESTIONS_PER_DAY a day.
func (a *app) curationCapability(st store.Store, k *knowledge.Service, events bot.EventLog, dir audience.Directory, q *syncQueue) (*curation.Service, error) {
	// Anyone may suggest a page, so suggestions are fetched without
	// LORE_FETCH_ALLOW: the internal hosts it opens to source syncs, which
	// curators set up, stay closed to everyone else.
	client, err := fetch.New(fetch.Options{})
	if err != nil {
		return nil, err
	}
	perDay := 0
	if v := a.getenv("LORE_SUGGESTIONS_PER_DAY"); v != "" {
		if perDay, err = strconv.Atoi(v); err != nil || perDay < 1 {
			return nil, usageErrorf("LORE_SUGGESTIONS_PER_DAY=%q: want a whole number of at least 1", v)
		}
	}
	return curation.New(curation.Config{
		Store: st, Roles: curation.DirectoryRoles{Directory: dir}, Events: events,
		Sources: sourceRegistry{st: st, queue: q}, Index: k, Reader: urlReader{client, a.pdfReader()},
		SuggestionsCollection: a.getenv("LORE_SUGGESTIONS_COLLECTION"), SuggestionsPerDay: perDay,
		Auditor: storeAuditor{st}, Logger: a.log,
	})
}

// storeAuditor keeps the curation commands' changes in the store's audit
// log, with the curator in chat as the actor.
type storeAuditor struct{ st store.Audit }

// Audit implements curation.Auditor.
func (s storeAuditor) Audit(ctx context.Context, actor, action, target, detail string) error {
	return s.st.RecordAudit(ctx, store.AuditEntry{Actor: actor, Action: action, Target: clip(oneLine(target), 1000), Detail: clip(oneLine(detail), 2000)})
}

// curationWords are the curation chat commands offered as /lore
// subcommands too.
var curationWords = []chatWord{
	{name: "suggest", summary: "propose a web page or a text for the knowledge base", option: "what", optionDoc: "A URL, or the text to suggest", required: true},
	{name: "sources", summary: "curators: the sources and how their last sync went"},
	{name: "add", summary: "curators: add a web page as a source (URL [COLLECTION])", option: "source", optionDoc: "URL [COLLECTION]", required: true},
	{name: "gaps", summary: "curators: the questions Lore could not answer"},
	{name: "approve", summary: "curators: list the drafts, or publish one (approve DOC)", option: "doc", optionDoc: "Id or source of the draft to publish"},
}
