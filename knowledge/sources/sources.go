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
// source no longer lists, or that answers 404 or 410, is removed, and a
// document another source also lists stays for that one.
package sources

import (
	"cmp"
	"context"
	"crypto/rand"
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
	DocumentRefs(ctx context.Context, collection string) ([]store.DocumentRef, error)
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
	// same source; a running sync renews it every third of it.
	syncLease = time.Hour
	// removeLease bounds how long a removal that died blocks the syncs of
	// its source; removing takes seconds.
	removeLease = 10 * time.Minute
	// maxErrorText bounds the error recorded on a source.
	maxErrorText = 2000
)

// ErrSourceFailed marks a sync that failed because of the source (it could
// not be listed), not because of Lore's database; the failure is recorded
// on the source, and retrying at once is unlikely to help.
var ErrSourceFailed = errors.New("source sync failed")

// ErrLeaseLost means a sync stopped because its lock could not be renewed:
// another sync of the source may have taken it, and this one must stop
// writing.
var ErrLeaseLost = errors.New("the source's sync lock was lost")

// lockName is the lock a sync, and a removal, of the named source holds.
func lockName(source string) string { return "source:" + source }

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
	// PDF reads PDFs; nil reads them in this process (see
	// ingest.Options.PDF).
	PDF ingest.PDFReader

	// lease is the sync lock's lease; default syncLease. Tests shorten it.
	lease time.Duration
	// sleep waits between fetches; default a timer. Tests record the
	// waits instead.
	sleep func(ctx context.Context, d time.Duration) error
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
// error wrapping ErrSourceFailed after recording it on the source. An error
// of Lore's own (the database, the embedder) is returned as it is, to be
// retried, after recording the pages stored so far. A source removed during
// the sync takes the documents the sync stored with it, and the error wraps
// store.ErrNotFound. The returned Result is valid either way.
func (s *Syncer) Sync(ctx context.Context, name string, progress func(Event)) (Result, error) {
	start := s.now()
	if progress == nil {
		progress = func(Event) {}
	}
	src, err := s.Store.Source(ctx, name)
	if err != nil {
		return Result{}, err
	}
	ctx, release, err := s.lock(ctx, name)
	if err != nil {
		return Result{}, fmt.Errorf("sync source %s: %w", name, err)
	}
	defer release()

	prevPages, err := s.Store.SourcePages(ctx, name)
	if err != nil {
		return Result{}, err
	}
	refs, err := s.Store.DocumentRefs(ctx, src.Collection)
	if err != nil {
		return Result{}, err
	}
	run := &syncRun{Syncer: s, src: src, progress: progress, prev: map[string]store.SourcePage{}, next: map[string]store.SourcePage{},
		indexed: make(map[string]string, len(refs)), stored: map[string]bool{}, gone: map[string]bool{}}
	for _, p := range prevPages {
		run.prev[p.DocID] = p
	}
	for _, ref := range refs {
		run.indexed[ref.ID] = ref.ContentHash
	}

	listErr := run.list(ctx)
	if listErr == nil && len(run.next) == 0 && len(run.prev) > 0 && run.res.Failed == 0 && src.Kind != store.SourceFeed {
		listErr = fmt.Errorf("the source listed no documents; keeping the %d indexed before", len(run.prev))
	}
	var storeErr *storeError
	switch {
	case errors.Is(context.Cause(ctx), ErrLeaseLost):
		// Another sync may hold the source now: write nothing more.
		return run.res, context.Cause(ctx)
	case ctx.Err() != nil:
		// Cancelled: the next run redoes the sync; only the documents
		// already stored are recorded, so that they stay the source's.
		return run.res, errors.Join(cmp.Or(listErr, ctx.Err()), run.keepStored(context.WithoutCancel(ctx)))
	case errors.As(listErr, &storeErr):
		return run.abort(ctx, listErr, start)
	case listErr != nil:
		return run.fail(ctx, listErr, start)
	}
	return run.finish(ctx, start)
}

// Remove removes the named source and the documents it put in the index,
// except those another source also lists. It takes the source's sync lock,
// so that no sync of it stores documents meanwhile: while one runs, the
// error wraps store.ErrLocked. It returns how many documents were removed
// and how many were kept for other sources.
func (s *Syncer) Remove(ctx context.Context, name string) (removed, kept int, err error) {
	if _, err := s.Store.Source(ctx, name); err != nil {
		return 0, 0, err
	}
	release, err := s.Store.TryLock(ctx, lockName(name), s.holder(), removeLease)
	if err != nil {
		return 0, 0, fmt.Errorf("remove source %s: %w", name, err)
	}
	defer func() { _ = release(context.WithoutCancel(ctx)) }()
	pages, err := s.Store.SourcePages(ctx, name)
	if err != nil {
		return 0, 0, err
	}
	ids := make([]string, len(pages))
	for i, p := range pages {
		ids[i] = p.DocID
	}
	// Documents first: if removing the source then fails, a re-run finds
	// it and finishes the job.
	deleted, err := s.deleteDocuments(ctx, name, ids)
	if err != nil {
		return 0, 0, err
	}
	if err := s.Store.RemoveSource(ctx, name); err != nil {
		return 0, 0, err
	}
	return deleted, len(ids) - deleted, nil
}

// deleteDocuments deletes the documents of ids that no source but the named
// one lists (two sources listing one URL in a collection share its
// document) and returns how many it deleted.
func (s *Syncer) deleteDocuments(ctx context.Context, source string, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	shared, err := s.Store.ListedByOthers(ctx, source, ids)
	if err != nil {
		return 0, err
	}
	own := slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
		_, found := slices.BinarySearch(shared, id)
		return found
	})
	if len(own) == 0 {
		return 0, nil
	}
	if err := s.Store.DeleteDocuments(ctx, own); err != nil {
		return 0, err
	}
	return len(own), nil
}

// holder names this process, and this one use of a lock: taking a lease
// one already holds renews it, so two syncs in one process must still
// exclude each other.
func (s *Syncer) holder() string {
	owner := s.Owner
	if owner == "" {
		host, _ := os.Hostname()
		owner = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	return owner + "/" + rand.Text()[:8]
}

// lock takes the source's sync lock and renews it every third of its lease
// until released, as an ingest does. The returned context is cancelled,
// with ErrLeaseLost as its cause, when the lease could not be renewed
// before it expired.
func (s *Syncer) lock(ctx context.Context, name string) (context.Context, func(), error) {
	lease := s.lease
	if lease <= 0 {
		lease = syncLease
	}
	owner := s.holder()
	release, err := s.Store.TryLock(ctx, lockName(name), owner, lease)
	if err != nil {
		return nil, nil, err
	}
	leased, stop := knowledge.KeepLease(ctx, s.Store, lockName(name), owner, lease, release, s.now, ErrLeaseLost)
	return leased, stop, nil
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
	// indexed holds the content hash of each document of the collection
	// when the sync began: a page is unchanged only if its document is
	// still there, as it was.
	indexed map[string]string
	// stored are the documents this sync wrote.
	stored map[string]bool
	// gone are the pages that answered 404 or 410, or that robots.txt
	// now disallows, and the documents of feed entries stored under an
	// identity the entry no longer has.
	gone map[string]bool
	// partial means some pages that the source may still list were not
	// reached (a crawl's page that could not be read hides its links):
	// the pages not listed this time are kept rather than removed.
	partial bool
	// landed is where the fetch of a feed's URL ended, after redirects,
	// recorded on its status when the sync succeeds.
	landed string
	// fetches counts the requests made, for pacing them.
	fetches  int
	warnings []string
	// notes are problems of documents that were stored all the same,
	// such as a review date that is not a date.
	notes []string
	// empty is the page of a url source skipped for having no text.
	empty []string
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
// and the documents are left as they were. Documents stored before the
// failure are recorded as the source's pages.
func (r *syncRun) fail(ctx context.Context, cause error, start time.Time) (Result, error) {
	now := r.now()
	prev, err := r.Store.Source(ctx, r.src.Name)
	if errors.Is(err, store.ErrNotFound) {
		return r.res, r.removedMeanwhile(ctx, err)
	}
	if err != nil {
		return r.res, err
	}
	st := prev.Status
	st.LastSync = now
	st.LastError = clip(cause.Error())
	if err := r.recordKept(ctx, st); err != nil {
		return r.res, err
	}
	r.res.Duration = now.Sub(start)
	return r.res, fmt.Errorf("%w: %s: %w", ErrSourceFailed, r.src.Name, cause)
}

// abort records a sync stopped by an error of Lore's own, such as the
// database or the embedder failing while storing a document: the pages
// stored so far become the source's, the others stay as they were, and the
// error is returned as it is so that the job is retried. The status says
// what went wrong and when, so that the schedule does not queue the source
// again before its period.
func (r *syncRun) abort(ctx context.Context, cause error, start time.Time) (Result, error) {
	now := r.now()
	st := r.src.Status
	st.LastSync = now
	st.LastError = clip("Lore could not store what it read (not a problem of the source): " + cause.Error())
	err := r.recordKept(ctx, st)
	r.res.Duration = now.Sub(start)
	return r.res, errors.Join(cause, err)
}

// keepStored records the documents a cancelled sync stored as the source's
// pages, its status otherwise unchanged.
func (r *syncRun) keepStored(ctx context.Context) error {
	if len(r.stored) == 0 {
		return nil
	}
	return r.recordKept(ctx, r.src.Status)
}

// recordKept records st and, as the source's pages, those of the previous
// sync overlaid with those this one read: a sync that did not finish
// removes nothing, and forgets none of the documents it stored.
func (r *syncRun) recordKept(ctx context.Context, st store.SourceStatus) error {
	pages := make([]store.SourcePage, 0, len(r.prev)+len(r.next))
	for id, p := range r.prev {
		if _, ok := r.next[id]; !ok {
			pages = append(pages, p)
		}
	}
	for _, p := range r.next {
		pages = append(pages, p)
	}
	st.Documents, st.Chunks = 0, 0
	for _, p := range pages {
		st.Documents++
		st.Chunks += p.Chunks
	}
	r.res.Documents, r.res.Chunks = st.Documents, st.Chunks
	return r.record(ctx, store.SyncRecord{Status: st, ReplacePages: true, Pages: pages})
}

// record stores the outcome of the sync.
func (r *syncRun) record(ctx context.Context, rec store.SyncRecord) error {
	err := r.Store.RecordSync(ctx, r.src.Name, rec)
	if errors.Is(err, store.ErrNotFound) {
		return r.removedMeanwhile(ctx, err)
	}
	return err
}

// removedMeanwhile deletes the documents this sync stored for a source
// that was removed while it ran (by a removal that did not wait for the
// sync lock): nothing would list them, nor remove them later.
func (r *syncRun) removedMeanwhile(ctx context.Context, notFound error) error {
	ids := make([]string, 0, len(r.stored))
	for id := range r.stored {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if _, err := r.deleteDocuments(ctx, r.src.Name, ids); err != nil {
		return errors.Join(notFound, err)
	}
	return fmt.Errorf("source %s was removed during its sync; the %d documents the sync stored are removed too: %w",
		r.src.Name, len(ids), notFound)
}

// finish removes documents gone upstream and records the new pages.
func (r *syncRun) finish(ctx context.Context, start time.Time) (Result, error) {
	var gone []string
	for id, p := range r.prev {
		if _, kept := r.next[id]; kept {
			continue
		}
		if (r.src.Kind == store.SourceFeed || r.partial) && !r.gone[id] {
			// Entries scroll off the end of a feed; they were not
			// deleted, so their documents stay. A crawl that could not
			// read a page could not follow its links either: a page not
			// reached may still be linked from it.
			r.next[id] = p
			continue
		}
		gone = append(gone, id)
		r.res.Removed++
		r.progress(Event{Location: p.Location, Outcome: "removed"})
	}
	slices.Sort(gone)
	if _, err := r.deleteDocuments(ctx, r.src.Name, gone); err != nil {
		r.res.Removed = 0
		return r.abort(ctx, err, start)
	}
	pages := make([]store.SourcePage, 0, len(r.next))
	for _, p := range r.next {
		pages = append(pages, p)
		r.res.Chunks += p.Chunks
	}
	r.res.Documents = len(pages)
	now := r.now()
	st := store.SourceStatus{Documents: r.res.Documents, Chunks: r.res.Chunks, LastSync: now, LastSuccess: now, Landed: r.landed}
	var problems []string
	if len(r.warnings) > 0 {
		problems = append(problems, fmt.Sprintf("%d of the source's documents could not be read: %s",
			len(r.warnings), strings.Join(r.warnings, "; ")))
	}
	if len(r.notes) > 0 {
		problems = append(problems, fmt.Sprintf("%d stored with a problem: %s", len(r.notes), strings.Join(r.notes, "; ")))
	}
	if len(r.empty) > 0 {
		problems = append(problems, "skipped, no text to answer from: "+strings.Join(r.empty, "; "))
	}
	st.LastError = clip(strings.Join(problems, "; "))
	r.res.Warnings = r.notes
	if err := r.record(ctx, store.SyncRecord{Status: st, ReplacePages: true, Pages: pages}); err != nil {
		return r.res, err
	}
	r.res.Duration = now.Sub(start)
	return r.res, nil
}

// document is one document read from a source, ready to store.
type document struct {
	location string // identity: URL or absolute path, as the source lists it
	// source is how the document is cited, when not location: the URL a
	// fetch ended at, after redirects.
	source     string
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
// is the same, and whose document is in the index as this source stored it
// (another source sharing the document may have removed or replaced it);
// it reports whether it did.
func (r *syncRun) unchanged(location, hash string, v fetch.Validators) bool {
	id := r.docID(location)
	prev, ok := r.prev[id]
	if !ok || prev.ContentHash != hash || !r.current(prev) {
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

// current reports whether the document of a page is in the index as the
// page's last sync stored it, read by this parser version.
func (r *syncRun) current(p store.SourcePage) bool {
	hash, ok := r.indexed[p.DocID]
	return ok && hash == p.ContentHash && ingest.CurrentHash(hash)
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
		// skipped with its reason, a curator can see why it is missing.
		r.noText(d.location, fmt.Errorf("%s: %w", d.location, knowledge.ErrEmpty))
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
		ID: id, Collection: r.src.Collection, Source: cmp.Or(d.source, d.location), Title: d.parsed.Title,
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
		return &storeError{fmt.Errorf("store %s: %w", d.location, err)}
	}
	r.stored[id] = true
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
	r.gone[r.docID(location)] = true
	r.progress(Event{Location: location, Outcome: "skipped", Err: err})
}

// pageSkipped drops a page the sync must not read (it redirects off the
// source's site), naming it in the status: finish removes its document.
func (r *syncRun) pageSkipped(location string, err error) {
	r.gone[r.docID(location)] = true
	r.warnings = append(r.warnings, err.Error())
	r.progress(Event{Location: location, Outcome: "skipped", Err: err})
}

// storeError is a failure to store a document that was read: the fault of
// Lore's database or embedder, not of the source, so the sync is retried
// rather than recorded as a failure of the source.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// pace waits Delay before every request of a sync but the first (sitemaps
// and pages alike), to be gentle with the site.
func (r *syncRun) pace(ctx context.Context) error {
	delay := r.Delay
	if delay == 0 {
		delay = DefaultDelay
	}
	r.fetches++
	if r.fetches == 1 || delay < 0 {
		return nil
	}
	if r.sleep != nil {
		return r.sleep(ctx, delay)
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
		hash := ingest.ContentHash(f.Data)
		if r.unchanged(location, hash, fetch.Validators{}) {
			return nil
		}
		parsed, err := ingest.ParseContext(ctx, f.Path, f.Data, ingest.Options{PDF: r.PDF})
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case errors.Is(err, ingest.ErrNoText):
			r.noText(location, err)
			return nil
		case err != nil:
			r.pageFailed(location, err)
			return nil
		case len(parsed.Chunks) == 0:
			r.noText(location, fmt.Errorf("%s: %w", location, knowledge.ErrEmpty))
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

// noText reports a document without text to answer from (an empty file
// or page, a PDF without a text layer, a feed entry without text) as
// skipped, as 'lore ingest' skips such a file: the source is not failing
// for it. Its previous version, if any, is kept, as a skipped file's is.
// A url source is that one page: its status warns that the page has no
// text, or lore sources would show a source that answers nothing as ok.
func (r *syncRun) noText(location string, err error) {
	if prev, ok := r.prev[r.docID(location)]; ok {
		r.next[prev.DocID] = prev
	}
	if r.src.Kind == store.SourceURL {
		r.empty = append(r.empty, err.Error())
	}
	r.progress(Event{Location: location, Outcome: "skipped", Err: err})
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	return abs
}
