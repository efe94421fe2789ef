package knowledge

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	pathpkg "path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
)

// DefaultCollection is where documents go when no collection is named.
const DefaultCollection = "default"

// IngestRequest says what to load.
type IngestRequest struct {
	Paths []string
	// Collection is where the documents go (store.CheckCollectionName);
	// empty means DefaultCollection.
	Collection string
	// Prune removes documents of the collection whose file, under the
	// given paths, is gone from disk; see Ingest.
	Prune bool
	// Owner identifies this process in the ingest lock, for the message
	// another ingest gets.
	Owner string
}

// IngestSummary reports what an ingest did.
type IngestSummary struct {
	Added     int
	Updated   int
	Unchanged int
	Removed   int
	// Skipped counts files left out: binary, oversized, unsupported,
	// unreadable (vanished during the run, a link to nothing, access
	// denied), unparsable or without text. Each was reported to
	// Progress.Warn.
	Skipped  int
	Chunks   int // chunks written
	Duration time.Duration
	// Warnings name files stored with a problem, such as a review_by
	// that is not a date (the file is stored without a review date).
	Warnings []string
}

// Progress receives ingest progress, for a terminal progress bar.
type Progress interface {
	// Total is called once, before the first file, with the file count.
	Total(files int)
	// Done is called after each file.
	Done(path string)
	// Warn reports a file that was skipped or failed, without stopping.
	Warn(path string, err error)
}

// defaultIngestLease bounds how long a crashed ingest blocks the next one;
// a running ingest renews its lease well before that.
const defaultIngestLease = 30 * time.Second

// ErrEmpty means a file was parsed but holds no text to answer from (an
// HTML page that is all script, an empty file); it is skipped rather than
// stored as a document without chunks.
var ErrEmpty = errors.New("no text")

// Ingest loads files and folders into a collection, incrementally: files
// whose content hash is unchanged are skipped, changed ones are replaced
// atomically. Binary, oversized, unsupported and unreadable files, and
// files without text, are skipped with a warning and the rest goes on. A
// path given that does not exist fails the whole request before anything
// is written (the error wraps fs.ErrNotExist), as does one that cannot be
// read (fs.ErrPermission) and a collection name that
// store.CheckCollectionName refuses (store.ErrInvalidInput). Only one
// ingest runs on a database at a time; another gets an error wrapping
// store.ErrLocked.
//
// With Prune, a document of the collection whose file lies under the
// given paths is removed only when that file is gone from disk: a file
// that still exists but was not read this time (hidden, now binary or
// oversized, unreadable) keeps its document, and so does a document that
// a registered source (lore sources) holds, which its own syncs keep.
func (s *Service) Ingest(ctx context.Context, req IngestRequest, progress Progress) (_ IngestSummary, err error) {
	start := s.now()
	var sum IngestSummary
	if req.Collection == "" {
		req.Collection = DefaultCollection
	}
	if err := store.CheckCollectionName(req.Collection); err != nil {
		return sum, err
	}
	if progress == nil {
		progress = nopProgress{}
	}
	if err := ingest.CheckPaths(req.Paths); err != nil {
		return sum, err // names the path, wraps the cause
	}
	ctx, release, err := s.lock(ctx, "ingest", req.Owner)
	if err != nil {
		return sum, err
	}
	defer release()
	replace, finish, err := s.beginLoad(ctx)
	if err != nil {
		return sum, err
	}
	defer func() { err = errors.Join(err, finish(context.WithoutCancel(ctx))) }()

	refs, err := s.store.DocumentRefs(ctx, req.Collection)
	if err != nil {
		return sum, err
	}
	known := make(map[string]store.DocumentRef, len(refs))
	for _, r := range refs {
		known[r.Source] = r
	}

	// Count first, so the progress bar knows its length. A file named
	// twice (a.md a.md, or a.md and its folder) is one document.
	counted := make(map[string]bool)
	countErr := ingest.Walk(req.Paths, ingest.WalkOptions{}, func(f ingest.File) error {
		counted[sourceName(f.Path)] = true
		return nil
	}, func(ingest.Skipped) {})
	if countErr != nil {
		return sum, countErr
	}
	progress.Total(len(counted))

	seen := make(map[string]bool)
	skip := func(path string, err error) {
		sum.Skipped++
		progress.Warn(path, err)
	}
	err = ingest.Walk(req.Paths, ingest.WalkOptions{}, func(f ingest.File) error {
		if ctx.Err() != nil {
			return context.Cause(ctx) // ErrLeaseLost, or the caller's cancellation
		}
		source := sourceName(f.Path)
		if seen[source] {
			return nil
		}
		seen[source] = true
		defer progress.Done(f.Path)
		hash := ingest.ContentHash(f.Data)
		prev, exists := known[source]
		if exists && prev.ContentHash == hash {
			sum.Unchanged++
			return nil
		}
		// Parsed on a goroutine of its own, so that an interrupt or a
		// lost lock is obeyed even if a parser never returned.
		parsed, err := ingest.ParseContext(ctx, f.Path, f.Data, ingest.Options{PDF: s.pdf})
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", f.Path, context.Cause(ctx))
		}
		if err != nil {
			skip(f.Path, err)
			return nil
		}
		if len(parsed.Chunks) == 0 {
			skip(f.Path, ErrEmpty)
			return nil
		}
		doc := store.Document{
			ID:          DocumentID(req.Collection, source),
			Collection:  req.Collection,
			Source:      source,
			Title:       parsed.Title,
			Tags:        parsed.Tags,
			Owner:       parsed.Owner,
			ContentHash: hash,
			UpdatedAt:   s.now(),
		}
		if doc.ReviewBy, err = ingest.ParseReviewBy(parsed.ReviewBy); err != nil {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s: %v; stored without a review date", f.Path, err))
		}
		n, err := s.addDocument(ctx, replace, doc, parsed.Chunks)
		if err != nil {
			if ctx.Err() != nil {
				// The lease or the caller ended the ingest during this
				// write, which then failed however the driver reports an
				// interrupted transaction: report why it ended.
				return fmt.Errorf("%s: %w", f.Path, context.Cause(ctx))
			}
			if errors.Is(err, store.ErrInvalidInput) {
				skip(f.Path, err)
				return nil
			}
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		sum.Chunks += n
		if exists {
			sum.Updated++
		} else {
			sum.Added++
		}
		return nil
	}, func(sk ingest.Skipped) {
		skip(sk.Path, sk.Reason)
	})
	if err != nil {
		sum.Duration = s.now().Sub(start)
		return sum, err
	}
	if req.Prune {
		gone, err := s.pruneable(ctx, known, seen, req.Paths)
		if err != nil {
			return sum, err
		}
		if len(gone) > 0 {
			if err := s.store.DeleteDocuments(ctx, gone); err != nil {
				return sum, err
			}
		}
		sum.Removed = len(gone)
	}
	sum.Duration = s.now().Sub(start)
	return sum, nil
}

// sourceRegistry is what pruning needs of store.Sources, which a store
// may offer: the documents registered sources hold.
type sourceRegistry interface {
	ListSources(ctx context.Context) ([]store.Source, error)
	SourcePages(ctx context.Context, name string) ([]store.SourcePage, error)
}

// pruneable returns the ids of the documents an ingest with Prune
// removes: not read this time, under one of paths, not held by a
// registered source, and whose file is gone from disk.
func (s *Service) pruneable(ctx context.Context, known map[string]store.DocumentRef, seen map[string]bool, paths []string) ([]string, error) {
	held := make(map[string]bool)
	if reg, ok := s.store.(sourceRegistry); ok {
		srcs, err := reg.ListSources(ctx)
		if err != nil {
			return nil, err
		}
		for _, src := range srcs {
			pages, err := reg.SourcePages(ctx, src.Name)
			if err != nil {
				return nil, err
			}
			for _, p := range pages {
				held[p.DocID] = true
			}
		}
	}
	var gone []string
	for source, ref := range known {
		if seen[source] || held[ref.ID] || !underAny(source, paths) {
			continue
		}
		if _, err := os.Stat(filepath.FromSlash(source)); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			gone = append(gone, ref.ID)
		}
	}
	return gone, nil
}

// lock takes the named lock ("ingest", "reindex") and keeps renewing it
// until released. The
// returned context is cancelled, with ErrLeaseLost as its cause, when the
// lease could not be renewed before it expired: another ingest may have
// taken it, and this one must stop writing.
func (s *Service) lock(ctx context.Context, name, owner string) (context.Context, func(), error) {
	if owner == "" {
		host, _ := os.Hostname()
		owner = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	// Taking a lease one already holds renews it, so every ingest needs a
	// holder name of its own: two ingests in one process must still
	// exclude each other.
	owner += "/" + rand.Text()[:8]
	release, err := s.store.TryLock(ctx, name, owner, s.lease)
	var held *store.LockHeldError
	if errors.As(err, &held) && deadHereHolder(held.Holder) {
		// A killed ingest on this machine left its lease behind; the
		// re-run takes over instead of waiting for it to expire.
		if err := s.store.BreakLock(ctx, name, held.Holder); err != nil {
			return nil, nil, err
		}
		release, err = s.store.TryLock(ctx, name, owner, s.lease)
	}
	if err != nil {
		return nil, nil, err
	}
	leased, stop := KeepLease(ctx, s.store, name, owner, s.lease, release, s.now, ErrLeaseLost)
	return leased, stop, nil
}

// Leaser takes a named lock, or renews one its owner holds.
type Leaser interface {
	TryLock(ctx context.Context, name, owner string, ttl time.Duration) (release func(context.Context) error, err error)
}

// KeepLease renews owner's lease on the lock name, taken with release,
// every third of lease until the returned stop is called, which also
// releases the lock. The returned context is cancelled, with lost as its
// cause, when the lease could not be renewed before it expired: another
// holder may have taken it, and the work it guards must stop.
func KeepLease(ctx context.Context, locks Leaser, name, owner string, lease time.Duration,
	release func(context.Context) error, now func() time.Time, lost error) (context.Context, func()) {
	leased, cancel := context.WithCancelCause(ctx)
	stopped := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		renewed := now()
		for {
			select {
			case <-stopped:
				return
			case <-t.C:
				// Taking a lock one already holds extends its lease.
				r, err := locks.TryLock(context.WithoutCancel(ctx), name, owner, lease)
				if err == nil {
					release, renewed = r, now()
					continue
				}
				if errors.Is(err, store.ErrLocked) || now().Sub(renewed) >= lease {
					cancel(fmt.Errorf("%w: %v", lost, err))
					return
				}
			}
		}
	}()
	return leased, func() {
		close(stopped)
		<-done
		cancel(nil)
		_ = release(context.WithoutCancel(ctx))
	}
}

// deadHereHolder reports whether a lock holder named "host:pid/..." is a
// process of this machine that no longer runs.
func deadHereHolder(holder string) bool {
	hostPID, _, _ := strings.Cut(holder, "/")
	host, pidText, ok := strings.Cut(hostPID, ":")
	if !ok {
		return false
	}
	if me, err := os.Hostname(); err != nil || me != host {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	// Signal 0 checks that the process exists without touching it; EPERM
	// means it exists but belongs to someone else.
	err = p.Signal(syscall.Signal(0))
	return err != nil && !errors.Is(err, syscall.EPERM)
}

// ErrLeaseLost means an ingest stopped because its lock could not be
// renewed in time; documents it had finished are stored, the rest are not.
var ErrLeaseLost = errors.New("the ingest lock was lost")

// AddDocument analyses and embeds pieces and stores them as doc's chunks,
// replacing any previous version atomically. It returns the number of
// chunks written.
//
// When a reindex to another embedder is committed between embedding and
// writing, the store refuses the vectors (store.ErrEmbedderChanged) and
// the document is embedded again with the store's new embedder.
func (s *Service) AddDocument(ctx context.Context, doc store.Document, pieces []ingest.Piece) (int, error) {
	n, err := s.addDocument(ctx, s.store.ReplaceDocument, doc, pieces)
	if errors.Is(err, store.ErrEmbedderChanged) {
		n, err = s.addDocument(ctx, s.store.ReplaceDocument, doc, pieces)
	}
	return n, err
}

type replaceFunc func(context.Context, store.Document, []store.Chunk) error

// beginLoad returns how the documents of a load are written: through the
// store's bulk path when it has one (store.BulkLoader), else one by one.
// finish must be called when the load ends, however it ends.
func (s *Service) beginLoad(ctx context.Context) (replaceFunc, func(context.Context) error, error) {
	b, ok := s.store.(store.BulkLoader)
	if !ok {
		return func(ctx context.Context, doc store.Document, chunks []store.Chunk) error {
			return s.loadFailed(ctx, s.store.ReplaceDocument(ctx, doc, chunks))
		}, func(context.Context) error { return nil }, nil
	}
	load, err := b.BeginBulkLoad(ctx)
	if err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context, doc store.Document, chunks []store.Chunk) error {
			return s.loadFailed(ctx, load.ReplaceDocument(ctx, doc, chunks))
		}, func(ctx context.Context) error {
			return s.loadFailed(ctx, load.Finish(ctx))
		}, nil
}

// loadFailed explains a load's write refused because a reindex to another
// embedder was committed while it ran. A bulk write holds many documents,
// so the load stops there rather than embedding them again; running it
// again stores what is missing with the new embedder (documents already
// stored are skipped). When this service cannot make the new embedder's
// vectors, the error says that too.
func (s *Service) loadFailed(ctx context.Context, err error) error {
	if !errors.Is(err, store.ErrEmbedderChanged) {
		return err
	}
	err = fmt.Errorf("a reindex to another embedding model was committed during this load, so some of its documents are not stored; run the load again to store them: %w", err)
	if _, embedErr := s.writeEmbedder(ctx); embedErr != nil {
		return errors.Join(err, embedErr)
	}
	return err
}

func (s *Service) addDocument(ctx context.Context, replace replaceFunc, doc store.Document, pieces []ingest.Piece) (int, error) {
	chunks, err := s.prepareChunks(ctx, doc, pieces)
	if err != nil {
		return 0, err
	}
	if err := replace(ctx, doc, chunks); err != nil {
		return 0, err
	}
	return len(chunks), nil
}

func (s *Service) prepareChunks(ctx context.Context, doc store.Document, pieces []ingest.Piece) ([]store.Chunk, error) {
	chunks := make([]store.Chunk, 0, len(pieces))
	texts := make([]string, 0, len(pieces))
	analyses := make([]analyze.Analysis, 0, len(pieces))
	for i, p := range pieces {
		// The title and heading are part of what a chunk is about: a
		// passage under "Parental leave" answers leave questions even when
		// its sentences never repeat the words.
		context := chunkContext(doc.Title, p.Heading, p.Text)
		a := analyze.Analyze(context)
		chunks = append(chunks, store.Chunk{
			DocID:   doc.ID,
			Ordinal: i,
			Heading: p.Heading,
			Text:    p.Text,
			Terms:   a.Terms(),
		})
		texts = append(texts, context)
		analyses = append(analyses, a)
	}
	if len(texts) == 0 {
		return chunks, nil
	}
	embedder, err := s.writeEmbedder(ctx)
	if err != nil {
		return nil, fmt.Errorf("embed %s: %w", doc.Source, err)
	}
	name := embedder.Name()
	if h, ok := embedder.(analysedEmbedder); ok {
		// The offline embedder reuses the analysis just made.
		for i, a := range analyses {
			chunks[i].Vector, chunks[i].Embedder = h.VectorOf(a), name
		}
		return chunks, nil
	}
	vecs, err := embedder.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed %s: %w", doc.Source, err)
	}
	for i := range chunks {
		chunks[i].Vector, chunks[i].Embedder = vecs[i], name
	}
	return chunks, nil
}

// analysedEmbedder embeds text that analyze.Analyze has split and stemmed,
// as the offline embedder (embed.Hashed) can.
type analysedEmbedder interface {
	VectorOf(analyze.Analysis) []float32
}

// DocumentID derives a document's stable id from its collection and source.
func DocumentID(collection, source string) string {
	sum := sha256.Sum256([]byte(collection + "\x00" + source))
	return hex.EncodeToString(sum[:8])
}

// sourceName is a file's identity and how it is cited: its absolute path
// with forward slashes. Absolute, so that the same file ingested from two
// working directories is one document, and so that pruning one folder can
// never match documents from another.
func sourceName(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(filepath.Clean(path))
	}
	return filepath.ToSlash(abs)
}

// underAny reports whether source lies at or below one of paths.
func underAny(source string, paths []string) bool {
	for _, p := range paths {
		root := sourceName(p)
		if source == root || strings.HasPrefix(source, strings.TrimSuffix(root, "/")+"/") {
			return true
		}
	}
	return false
}

type nopProgress struct{}

func (nopProgress) Total(int)          {}
func (nopProgress) Done(string)        {}
func (nopProgress) Warn(string, error) {}

// IngestFS loads every supported file of fsys (the bundled handbook, for
// example) into a collection, citing each as prefix/NAME. It is the
// embedded counterpart of Ingest, for content that ships in the binary.
func (s *Service) IngestFS(ctx context.Context, fsys fs.FS, collection, prefix string) (IngestSummary, error) {
	start := s.now()
	var sum IngestSummary
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !ingest.Supported(path) {
			return err
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		parsed, err := ingest.Parse(path, data, ingest.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		source := pathpkg.Join(prefix, path)
		doc := store.Document{
			ID: DocumentID(collection, source), Collection: collection, Source: source,
			Title: parsed.Title, Tags: parsed.Tags, Owner: parsed.Owner,
			ContentHash: ingest.ContentHash(data), UpdatedAt: s.now(),
		}
		if doc.ReviewBy, err = ingest.ParseReviewBy(parsed.ReviewBy); err != nil {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s: %v; stored without a review date", path, err))
		}
		n, err := s.AddDocument(ctx, doc, parsed.Chunks)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		sum.Added++
		sum.Chunks += n
		return nil
	})
	sum.Duration = s.now().Sub(start)
	return sum, err
}

// Pending is a document with its parsed pieces, waiting to be stored.
type Pending struct {
	Doc    store.Document
	Pieces []ingest.Piece
}

// pipelineDepth is how many prepared documents may wait for the store. A
// bulk load writes in transactions of up to a thousand chunks (PostgreSQL:
// about a hundred documents of the bench's size), and analysis must go on
// while one is written, or the two take turns on one core: with 8, loading
// 200,000 chunks kept Lore and PostgreSQL together at one core of two.
const pipelineDepth = 256

// AddDocuments stores every document docs yields, like AddDocument, but
// analyses and embeds the next documents on another goroutine while the
// current one is written: on two cores, preparation and storage overlap.
// It stops at the first error and returns the number of chunks written.
func (s *Service) AddDocuments(ctx context.Context, docs iter.Seq[Pending], done func(Pending, int)) (_ int, err error) {
	replace, finish, err := s.beginLoad(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, finish(context.WithoutCancel(ctx))) }()
	ctx, cancel := context.WithCancel(ctx)
	workerDone := make(chan struct{})
	// The worker runs the caller's iterator; it must have stopped before
	// this returns, or it could still be reading what the caller frees.
	defer func() { cancel(); <-workerDone }()
	type prepared struct {
		p      Pending
		chunks []store.Chunk
		err    error
	}
	ready := make(chan prepared, pipelineDepth)
	go func() {
		defer close(workerDone)
		defer close(ready)
		for p := range docs {
			chunks, err := s.prepareChunks(ctx, p.Doc, p.Pieces)
			select {
			case ready <- prepared{p, chunks, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	total := 0
	for r := range ready {
		if r.err != nil {
			return total, r.err
		}
		if err := replace(ctx, r.p.Doc, r.chunks); err != nil {
			return total, err
		}
		total += len(r.chunks)
		if done != nil {
			done(r.p, len(r.chunks))
		}
	}
	return total, ctx.Err()
}

// chunkContext is the text a chunk is embedded from: its title and heading
// are part of what it is about.
func chunkContext(title, heading, text string) string {
	return title + "\n" + heading + "\n" + text
}
