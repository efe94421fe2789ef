// Package sources keeps registered sources (folders, web pages, sitemaps,
// crawled sites, feeds) in sync with the index: a Syncer reads a source, stores the
// documents that are new or changed, removes those gone upstream, and
// records the outcome on the source.
//
// A sync never loses what was indexed before because of a failure: when a
// source cannot be listed (the sitemap or feed is unreachable, invalid or
// refused by the fetch rules, the folder is missing, or a listing comes back
// empty where it held pages before), nothing is changed and the error is
// recorded in the source's status; a single page that cannot be read keeps
// its previous version and is named in the status. Only a page that the
// source no longer lists, or that answers 404 or 410, is removed.
package sources

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
)

// Store is what a Syncer needs from the database.
type Store interface {
	store.Sources
	DeleteDocuments(ctx context.Context, ids []string) error
	TryLock(ctx context.Context, name, owner string, ttl time.Duration) (func(context.Context) error, error)
}

// Indexer analyses, embeds and stores one document; *knowledge.Service is
// one.
type Indexer interface {
	AddDocument(ctx context.Context, doc store.Document, pieces []ingest.Piece) (int, error)
}

var _ Indexer = (*knowledge.Service)(nil)

// Defaults of Syncer.
const (
	DefaultMaxPages = 1000
	DefaultDelay    = 200 * time.Millisecond
	// syncLease bounds how long a crashed sync blocks the next one of the
	// same source.
	syncLease = time.Hour
	// maxErrorText bounds the error recorded on a source.
	maxErrorText = 2000
)

// ErrSourceFailed marks a sync that failed because of the source (it could
// not be listed), not because of Lore's database; the failure is recorded
// on the source, and retrying at once is unlikely to help.
var ErrSourceFailed = errors.New("source sync failed")

// Syncer syncs sources. Fields other than Store and Index are optional.
type Syncer struct {
	Store Store
	Index Indexer
	// Fetch fetches URLs; default: a fetch.Client with default options
	// (public addresses only).
	Fetch *fetch.Client
	// Clock stamps documents and statuses. Default time.Now.
	Clock func() time.Time
	// MaxPages bounds the pages of one sitemap. Default DefaultMaxPages.
	MaxPages int
	// Delay is the pause between two page fetches of one site, to be
	// gentle with it. Default DefaultDelay; negative for none.
	Delay time.Duration
	// Owner names this process in the per-source sync lock.
	Owner string
}

// Event reports progress: one page read (or failed, or removed).
type Event struct {
	Location string
	// Outcome is "added", "updated", "unchanged", "removed", "skipped"
	// or "failed".
	Outcome string
	Err     error
}

// Result is what one sync did.
type Result struct {
	Added, Updated, Unchanged, Removed, Failed int
	// Documents and Chunks are the source's totals after the sync.
	Documents, Chunks int
	// Warnings name documents stored with a problem, such as a review_by
	// that is not a date (the document is kept without a review date).
	Warnings []string
	Duration time.Duration
}

// Sync syncs the named source now. A failure to list the source returns an
// error wrapping ErrSourceFailed after recording it on the source; a store
// error is returned as it is. The returned Result is valid either way.
func (s *Syncer) Sync(ctx context.Context, name string, progress func(Event)) (Result, error) {
	start := s.now()
	if progress == nil {
		progress = func(Event) {}
	}
	src, err := s.Store.Source(ctx, name)
	if err != nil {
		return Result{}, err
	}
	owner := s.Owner
	if owner == "" {
		host, _ := os.Hostname()
		owner = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	release, err := s.Store.TryLock(ctx, "source:"+name, owner+"/"+rand.Text()[:8], syncLease)
	if err != nil {
		return Result{}, fmt.Errorf("sync source %s: %w", name, err)
	}
	defer func() { _ = release(context.WithoutCancel(ctx)) }()

	prevPages, err := s.Store.SourcePages(ctx, name)
	if err != nil {
		return Result{}, err
	}
	run := &syncRun{Syncer: s, src: src, progress: progress, prev: map[string]store.SourcePage{}, next: map[string]store.SourcePage{}}
	for _, p := range prevPages {
		run.prev[p.DocID] = p
	}

	listErr := run.list(ctx)
	if listErr == nil && len(run.next) == 0 && len(run.prev) > 0 && run.res.Failed == 0 && src.Kind != store.SourceFeed {
		listErr = fmt.Errorf("the source listed no documents; keeping the %d indexed before", len(run.prev))
	}
	if listErr != nil && ctx.Err() != nil {
		return run.res, listErr // cancelled: record nothing, the next run redoes it
	}
	if listErr != nil {
		return run.fail(ctx, listErr, start)
	}
	return run.finish(ctx, start)
}

func (s *Syncer) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

func (s *Syncer) client() (*fetch.Client, error) {
	if s.Fetch != nil {
		return s.Fetch, nil
	}
	c, err := fetch.New(fetch.Options{})
	if err != nil {
		return nil, err
	}
	s.Fetch = c
	return c, nil
}

// syncRun is the state of one sync.
type syncRun struct {
	*Syncer
	src      store.Source
	progress func(Event)
	prev     map[string]store.SourcePage // by document id, before the sync
	next     map[string]store.SourcePage // by document id, after it
	warnings []string
	// notes are problems of documents that were stored all the same,
	// such as a review date that is not a date.
	notes []string
	res   Result
}

func (r *syncRun) list(ctx context.Context) error {
	switch r.src.Kind {
	case store.SourceFiles:
		return r.syncFiles(ctx)
	case store.SourceURL:
		return r.syncURL(ctx)
	case store.SourceSitemap:
		return r.syncSitemap(ctx)
	case store.SourceSite:
		return r.syncSite(ctx)
	case store.SourceFeed:
		return r.syncFeed(ctx)
	}
	return fmt.Errorf("unknown source kind %q", r.src.Kind)
}

// fail records a sync that could not list the source: the status says why,
// and the pages and documents are left as they were.
func (r *syncRun) fail(ctx context.Context, cause error, start time.Time) (Result, error) {
	now := r.now()
	prev, err := r.Store.Source(ctx, r.src.Name)
	if err != nil {
		return r.res, err
	}
	st := prev.Status
	st.LastSync = now
	st.LastError = clip(cause.Error())
	if err := r.Store.RecordSync(ctx, r.src.Name, store.SyncRecord{Status: st}); err != nil {
		return r.res, err
	}
	r.res.Documents, r.res.Chunks = st.Documents, st.Chunks
	r.res.Duration = now.Sub(start)
	return r.res, fmt.Errorf("%w: %s: %w", ErrSourceFailed, r.src.Name, cause)
}

// finish removes documents gone upstream and records the new pages.
func (r *syncRun) finish(ctx context.Context, start time.Time) (Result, error) {
	var gone []string
	for id, p := range r.prev {
		if _, kept := r.next[id]; kept {
			continue
		}
		if r.src.Kind == store.SourceFeed {
			// Entries scroll off the end of a feed; they were not
			// deleted, so their documents stay.
			r.next[id] = p
			continue
		}
		gone = append(gone, id)
		r.res.Removed++
		r.progress(Event{Location: p.Location, Outcome: "removed"})
	}
	slices.Sort(gone)
	if len(gone) > 0 {
		if err := r.Store.DeleteDocuments(ctx, gone); err != nil {
			return r.res, err
		}
	}
	pages := make([]store.SourcePage, 0, len(r.next))
	for _, p := range r.next {
		pages = append(pages, p)
		r.res.Chunks += p.Chunks
	}
	r.res.Documents = len(pages)
	now := r.now()
	st := store.SourceStatus{Documents: r.res.Documents, Chunks: r.res.Chunks, LastSync: now, LastSuccess: now}
	var problems []string
	if len(r.warnings) > 0 {
		problems = append(problems, fmt.Sprintf("%d of the source's documents could not be read: %s",
			len(r.warnings), strings.Join(r.warnings, "; ")))
	}
	if len(r.notes) > 0 {
		problems = append(problems, fmt.Sprintf("%d stored with a problem: %s", len(r.notes), strings.Join(r.notes, "; ")))
	}
	st.LastError = clip(strings.Join(problems, "; "))
	r.res.Warnings = r.notes
	if err := r.Store.RecordSync(ctx, r.src.Name, store.SyncRecord{Status: st, ReplacePages: true, Pages: pages}); err != nil {
		return r.res, err
	}
	r.res.Duration = now.Sub(start)
	return r.res, nil
}

// document is one document read from a source, ready to store.
type document struct {
	location   string // identity and citation: URL or absolute path
	hash       string // of what it was parsed from
	validators fetch.Validators
	parsed     ingest.Parsed
}

// docID is the document's id: the same as `lore ingest` gives a file, so
// that a folder registered as a source takes over its documents.
func (r *syncRun) docID(location string) string {
	return knowledge.DocumentID(r.src.Collection, location)
}

// unchanged keeps the previous version of a document whose content hash
// is the same; it reports whether it did.
func (r *syncRun) unchanged(location, hash string, v fetch.Validators) bool {
	id := r.docID(location)
	prev, ok := r.prev[id]
	if !ok || prev.ContentHash != hash {
		return false
	}
	if v != (fetch.Validators{}) {
		prev.ETag, prev.LastModified = v.ETag, v.LastModified
	}
	r.next[id] = prev
	r.res.Unchanged++
	r.progress(Event{Location: location, Outcome: "unchanged"})
	return true
}

// notModified keeps the previous version after a 304 answer.
func (r *syncRun) notModified(location string) {
	id := r.docID(location)
	if prev, ok := r.prev[id]; ok {
		r.next[id] = prev
		r.res.Unchanged++
		r.progress(Event{Location: location, Outcome: "unchanged"})
	}
}

// store writes a new or changed document.
func (r *syncRun) store(ctx context.Context, d document) error {
	if len(d.parsed.Chunks) == 0 {
		// Stored, it would be a document nothing can be answered from;
		// reported, a curator can see why the page is missing.
		r.pageFailed(d.location, fmt.Errorf("%s: no readable text", d.location))
		return nil
	}
	id := r.docID(d.location)
	// The owner is sent review reminders and the questions that went
	// badly, and is suggested as an expert: only a curator's files may
	// name one in their front matter. A page or feed on the web is the
	// source owner's, whatever author it claims.
	owner := r.src.Owner
	if r.src.Kind == store.SourceFiles && d.parsed.Owner != "" {
		owner = d.parsed.Owner
	}
	now := r.now()
	doc := store.Document{
		ID: id, Collection: r.src.Collection, Source: d.location, Title: d.parsed.Title,
		Tags: d.parsed.Tags, Owner: owner, ContentHash: d.hash, UpdatedAt: now,
	}
	reviewBy, err := ingest.ParseReviewBy(d.parsed.ReviewBy)
	if err != nil {
		r.notes = append(r.notes, fmt.Sprintf("%s: %v; stored without a review date", d.location, err))
	}
	switch {
	case !reviewBy.IsZero():
		doc.ReviewBy = reviewBy
	case r.src.ReviewEvery > 0:
		// Its own date wins; else the source's interval from this change.
		doc.ReviewBy = now.Add(r.src.ReviewEvery)
	}
	if _, known := r.prev[id]; r.src.Approval && !known {
		// New to the source: a draft until approved. A page it had
		// already indexed keeps its status (""), published or not.
		doc.Status = store.StatusDraft
	}
	n, err := r.Index.AddDocument(ctx, doc, d.parsed.Chunks)
	if errors.Is(err, store.ErrInvalidInput) {
		r.pageFailed(d.location, err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("store %s: %w", d.location, err)
	}
	r.next[id] = store.SourcePage{DocID: id, Location: d.location, ContentHash: d.hash,
		ETag: d.validators.ETag, LastModified: d.validators.LastModified, Chunks: n}
	outcome := "added"
	if _, ok := r.prev[id]; ok {
		outcome = "updated"
		r.res.Updated++
	} else {
		r.res.Added++
	}
	r.progress(Event{Location: d.location, Outcome: outcome})
	return nil
}

// pageFailed keeps the previous version of a document that could not be
// read this time, and notes why for the status.
func (r *syncRun) pageFailed(location string, err error) {
	id := r.docID(location)
	if prev, ok := r.prev[id]; ok {
		r.next[id] = prev
	}
	r.res.Failed++
	r.warnings = append(r.warnings, err.Error())
	r.progress(Event{Location: location, Outcome: "failed", Err: err})
}

// pageGone drops a page that answered 404 or 410 (or that robots.txt now
// disallows): finish removes its document.
func (r *syncRun) pageGone(location string, err error) {
	r.progress(Event{Location: location, Outcome: "skipped", Err: err})
}

func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func clip(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	s = s[:maxErrorText]
	for len(s) > 0 && !isRuneStart(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return strings.ToValidUTF8(s, "") + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// syncFiles reads a file or folder, as `lore ingest` does.
func (r *syncRun) syncFiles(ctx context.Context) error {
	root := r.src.Location
	if _, err := os.Stat(root); err != nil {
		return err
	}
	return ingest.Walk([]string{root}, ingest.WalkOptions{}, func(f ingest.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		location := filepath.ToSlash(mustAbs(f.Path))
		hash := hashOf(f.Data)
		if r.unchanged(location, hash, fetch.Validators{}) {
			return nil
		}
		parsed, err := ingest.ParseContext(ctx, f.Path, f.Data, ingest.Options{})
		if err := ctx.Err(); err != nil {
			return err
		}
		if err != nil {
			r.pageFailed(location, err)
			return nil
		}
		return r.store(ctx, document{location: location, hash: hash, parsed: parsed})
	}, func(sk ingest.Skipped) {
		r.skippedFile(sk)
	})
}

// skippedFile reports a file or folder the walk left out. One that is
// gone (it vanished during the sync, or is a link to nothing) loses its
// documents at the end of the sync, like a deleted file; one that could
// not be read (a file, or a folder it could not list) keeps the previous
// version of its documents, and the status says why; a file that still
// exists but is now skipped (binary, oversized) keeps its previous
// version, as 'lore ingest --prune' keeps it.
func (r *syncRun) skippedFile(sk ingest.Skipped) {
	location := filepath.ToSlash(mustAbs(sk.Path))
	switch {
	case errors.Is(sk.Reason, fs.ErrNotExist):
	case errors.Is(sk.Reason, ingest.ErrUnreadable):
		r.pageFailed(location, fmt.Errorf("%s: %w", sk.Path, sk.Reason))
		for id, p := range r.prev {
			if strings.HasPrefix(p.Location, location+"/") {
				r.next[id] = p // under a folder that could not be listed
			}
		}
		return
	default:
		if prev, ok := r.prev[r.docID(location)]; ok {
			r.next[prev.DocID] = prev
		}
	}
	r.progress(Event{Location: sk.Path, Outcome: "skipped", Err: sk.Reason})
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	return abs
}
