// Package store defines what Lore keeps and the narrow, domain-grouped
// interfaces through which the rest of the code reaches it.
//
// Backends live in sub-packages (store/sqlite, store/postgres) and all
// of them run the conformance suite in store/storetest, so that behaviour is
// the same whichever database an operator picks.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors shared by every backend. Callers test them with errors.Is;
// user-facing wording is produced at the edge, not here.
var (
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrLocked means another process holds a lock the caller needs.
	ErrLocked = errors.New("locked by another process")
	// ErrInvalidInput means the caller passed something the store refuses
	// to keep, such as a vector of the wrong dimension.
	ErrInvalidInput = errors.New("invalid input")
	// ErrUnavailable means the database could not be reached or used; the
	// operation may succeed if retried later.
	ErrUnavailable = errors.New("database unavailable")
)

// Document is one curated source file or page, as last ingested.
type Document struct {
	ID          string // stable: derived from collection and source
	Collection  string
	Source      string // file path or URL the document came from
	Title       string
	Tags        []string
	Owner       string
	ContentHash string // of the raw bytes; unchanged hash means skip on re-ingest
	UpdatedAt   time.Time
	// Status is StatusPublished or StatusDraft. Written as "", a document
	// keeps the status it has; a new one is a draft when its collection
	// requires approval and published otherwise.
	Status string
	// ReviewBy is when the owner should next review the document: from
	// its front matter, else its last change plus its source's review
	// interval. Zero: no review date.
	ReviewBy time.Time
}

// Chunk is a retrievable passage of a document, split along headings.
type Chunk struct {
	ID      int64  // assigned by the store
	DocID   string // owning document
	Ordinal int    // position within the document, from 0
	Heading string // heading path, for example "Leave > Parental leave"
	Text    string
	// Terms are the analysed (lower-cased, stemmed) tokens of Heading and
	// Text, computed once at ingest so that backends with an in-memory
	// lexical index need not re-analyse on start-up.
	Terms []string
	// Vector is the chunk's embedding; all vectors in one store share a
	// dimension.
	Vector []float32
	// Embedder names what made Vector, as embed.Embedder.Name gives it.
	// When it is set, a write is refused with ErrEmbedderChanged unless
	// the store's vectors come from the same embedder, checked in the
	// write's transaction, so that vectors made just before a reindex
	// was committed are never stored as the new embedder's. Reads leave
	// it empty.
	Embedder string
}

// ChunkView is a chunk joined with the document fields needed to cite it.
type ChunkView struct {
	Chunk
	Title  string
	Source string
	Tags   []string
}

// DocumentRef is the part of a stored document needed to decide whether a
// file on disk must be re-ingested.
type DocumentRef struct {
	ID          string
	Source      string
	ContentHash string
}

// Hit is one search result, a chunk and its backend-specific score (higher
// is better; scores of different searches are not comparable).
type Hit struct {
	ChunkID int64
	DocID   string
	Score   float64
}

// LexicalQuery carries both the raw question and its analysed terms, so a
// backend may use either its own text search (PostgreSQL) or Lore's analyser
// (the in-memory index of SQLite).
type LexicalQuery struct {
	Text  string
	Terms []string
	// Scope limits the search to what one reader may see; the zero Scope
	// finds nothing (store.Everything finds every published chunk).
	Scope Scope
}

// VectorQuery is a vector search: the query vector and the part of the
// knowledge base searched.
type VectorQuery struct {
	Vector []float32
	// Scope is as in LexicalQuery.
	Scope Scope
}

// Stats summarises what the knowledge base holds.
type Stats struct {
	Documents int
	Chunks    int
}

// Documents keeps curated documents and their chunks.
type Documents interface {
	// ReplaceDocument stores doc with exactly the given chunks, atomically:
	// readers see either the old version or the new one, never a mixture.
	ReplaceDocument(ctx context.Context, doc Document, chunks []Chunk) error
	// DeleteDocuments removes documents and their chunks.
	DeleteDocuments(ctx context.Context, ids []string) error
	// DocumentRefs lists the documents of one collection.
	DocumentRefs(ctx context.Context, collection string) ([]DocumentRef, error)
	// Document returns one document by id.
	Document(ctx context.Context, id string) (Document, error)
	// ChunkIDs lists a document's chunk ids in reading order (by
	// ordinal); an unknown document has none.
	ChunkIDs(ctx context.Context, docID string) ([]int64, error)
	// Stats counts documents and chunks.
	Stats(ctx context.Context) (Stats, error)
	// Drafts lists the documents waiting for approval, by id.
	Drafts(ctx context.Context) ([]Document, error)
	// PublishDocument makes a draft published, so that it is searched and
	// answered from. Publishing a published document changes nothing; an
	// unknown id is an error wrapping ErrNotFound.
	PublishDocument(ctx context.Context, id string) error
	// DueForReview lists the published documents whose review date is at
	// or before by, earliest due first (then by id).
	DueForReview(ctx context.Context, by time.Time) ([]Document, error)
}

// Search finds chunks by words and by vector, and loads them for citing.
// Both searches return only published chunks in the query's scope, and the
// filter applies inside the search: k results in scope come back whenever
// the store holds k, however many others rank above them.
type Search interface {
	SearchLexical(ctx context.Context, q LexicalQuery, k int) ([]Hit, error)
	SearchVector(ctx context.Context, q VectorQuery, k int) ([]Hit, error)
	// Chunks loads chunks by id, in the order of ids; unknown ids are
	// omitted.
	Chunks(ctx context.Context, ids []int64) ([]ChunkView, error)
	// TermStats reports how many chunks contain each analysed term, so
	// that callers can weigh a term by its rarity.
	TermStats(ctx context.Context, terms []string) (TermStats, error)
}

// TermStats are document frequencies of terms over the stored chunks.
type TermStats struct {
	Chunks  int            // chunks in the store
	DocFreq map[string]int // chunks containing each term; absent terms are 0
}

// BM25 parameters shared by every backend's lexical search, so that the same
// corpus ranks the same way whichever database holds it. k1 and b follow
// the values that do best on short passages in the BEIR benchmarks;
// PhraseWeight scales a phrase (two adjacent words joined by "_") found in a
// chunk against the BM25 weight of its more common word. Both were tuned
// with lore eval on SciFact's training queries (docs/benchmarks.md).
const (
	BM25K1       = 0.9
	BM25B        = 0.4
	PhraseWeight = 0.35
)

// Event kinds recorded in the engagement log.
const (
	EventQuestion = "question"
	EventAnswer   = "answer"
	EventFeedback = "feedback"
	// EventHelpRequest records a press of "Ask a person" on an answer.
	EventHelpRequest = "help_request"
)

// Event is one entry of the engagement log: who did what, where and when.
type Event struct {
	ID        string // client-generated UUID
	Time      time.Time
	Kind      string
	Platform  string
	Workspace string
	Channel   string
	Thread    string
	User      string
	Direct    bool // asked in a direct message

	Question  string   // for question and answer events
	Confident bool     // for answer events: grounded in the knowledge base
	DocIDs    []string // documents cited by an answer
	LatencyMS int64    // time to answer
	Value     int      // feedback: +1 or -1
	Ref       string   // feedback: id of the answer event it judges
}

// EventFilter selects events; zero fields match everything.
type EventFilter struct {
	Kind     string
	User     string
	Platform string
	Channel  string
	// Thread, when set, keeps the events of one thread (a thread id is
	// unique within its channel, so set Channel too); an index makes a
	// thread's history one lookup however long the log.
	Thread string
	Since  time.Time
	Until  time.Time
	// Confident, when not nil, keeps answer events of that confidence.
	Confident *bool
	// Limit bounds the number of events returned, newest first; 0 means
	// no limit.
	Limit int
}

// Events is the append-only engagement log.
type Events interface {
	// RecordEvent appends e. The event of a person who opted out of
	// analytics (Engagement.SetOptOut) is kept without user, thread and
	// question text, whoever records it: this is the one place every
	// event passes through.
	RecordEvent(ctx context.Context, e Event) error
	// Events returns matching events, newest first.
	Events(ctx context.Context, f EventFilter) ([]Event, error)
}

// Locks are named leases that keep two processes from doing the same
// exclusive work, such as two ingests into one database.
type Locks interface {
	// TryLock takes the named lock for owner or returns an error wrapping
	// ErrLocked that names the current holder. The lease expires after ttl
	// so that a crashed holder does not block others forever; taking a
	// lock one already holds (same owner) renews the lease.
	TryLock(ctx context.Context, name, owner string, ttl time.Duration) (release func(context.Context) error, err error)
	// BreakLock removes the named lease if holder still has it, whatever
	// its expiry: for a holder known to be dead (a process killed on this
	// machine), so that the work can resume before the lease runs out.
	BreakLock(ctx context.Context, name, holder string) error
}

// Store is everything a Lore process needs from its database.
type Store interface {
	Documents
	Search
	Events
	Engagement
	Locks
	Claims
	People
	Sources
	Collections
	Feedback
	Reviews
	Audit
	RoleGrants
	// Ping checks that the database is reachable.
	Ping(ctx context.Context) error
	Close() error
}
