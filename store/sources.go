package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kinds of source.
const (
	// SourceFiles is a file or folder on the machine running the sync.
	SourceFiles = "files"
	// SourceURL is one web page or file (HTML, PDF, text) by URL.
	SourceURL = "url"
	// SourceSitemap is every page a sitemap (or sitemap index) lists.
	SourceSitemap = "sitemap"
	// SourceSite is a site crawled from a start URL, following its links
	// under that URL's folder.
	SourceSite = "site"
	// SourceFeed is an RSS, Atom or JSON feed, podcasts included: one
	// document per entry.
	SourceFeed = "feed"
)

// SourceKinds lists the kinds a source may have.
var SourceKinds = []string{SourceFiles, SourceURL, SourceSitemap, SourceSite, SourceFeed}

// ErrSourceExists means a source of that name is already registered.
var ErrSourceExists = errors.New("a source of that name already exists")

// MinSourceInterval is the shortest re-sync schedule a source may have:
// more often would hammer the sites fetched for little gain.
const MinSourceInterval = time.Minute

// MinReviewInterval is the shortest review interval a source may have:
// reminders are daily, so a shorter one would only nag.
const MinReviewInterval = 24 * time.Hour

// Every writes a period as it reads after "every": "manual" for none,
// else whole days ("day", "7 days"), else whole hours ("hour", "6 hours"),
// else whole minutes ("30 minutes", "90 minutes"), else a Go duration
// ("1m30s"). It is exact: no value is rounded to another.
func Every(d time.Duration) string {
	if d <= 0 {
		return "manual"
	}
	for _, u := range []struct {
		size      time.Duration
		one, many string
	}{{24 * time.Hour, "day", "days"}, {time.Hour, "hour", "hours"}, {time.Minute, "minute", "minutes"}} {
		switch n := d / u.size; {
		case d%u.size != 0:
		case n == 1:
			return u.one
		default:
			return fmt.Sprintf("%d %s", n, u.many)
		}
	}
	return d.String()
}

// Period writes a period as it reads after "at least": "a day", "an
// hour", "7 days", "90 minutes", "30s", as Every does but with an article
// for one unit; a period that is not positive is a Go duration ("-1h0m0s").
func Period(d time.Duration) string {
	if d <= 0 {
		return d.String()
	}
	switch s := Every(d); s {
	case "hour":
		return "an " + s
	case "day", "minute":
		return "a " + s
	default:
		return s
	}
}

// Source is a registered origin of documents that Lore keeps in sync.
type Source struct {
	// Name identifies the source in commands: letters, digits, '-', '_'
	// and '.', at most 64.
	Name       string
	Kind       string // one of SourceKinds
	Location   string // a path for files, a URL for the other kinds
	Collection string // where its documents go
	Owner      string // who answers for the content
	// Audience is the audience given when the source was added; the one
	// enforced is its collection's (store.Collection.Audience).
	Audience string
	// Approval makes the documents the source adds arrive as drafts, which
	// nobody is answered from until a curator publishes them; documents it
	// updates keep their status.
	Approval bool
	// Every is the re-sync schedule; 0 means only when asked.
	Every time.Duration
	// ReviewEvery, when set, gives each document the source adds or
	// changes a review date that long after the change, unless its front
	// matter names one; 0 means none.
	ReviewEvery time.Duration
	CreatedAt   time.Time
	Status      SourceStatus
}

// SourceStatus is what the last syncs of a source did.
type SourceStatus struct {
	Documents int // documents the source holds in the index
	Chunks    int // their chunks
	// LastSync is when the last sync ended, successful or not;
	// LastSuccess when the last successful one did. Zero: never.
	LastSync    time.Time
	LastSuccess time.Time
	// LastError is why the last sync failed, or the pages it could not
	// read; empty when it went through cleanly.
	LastError string
	// Landed is where the fetch of a feed's URL ended, after redirects,
	// at its last successful sync: what its entries' relative links were
	// resolved against, so that the next sync can tell their documents
	// when the feed has moved since. Empty for other kinds, and before
	// the first such sync.
	Landed string
}

// SourcePage is one document a source has put in the index, with what the
// next sync needs to skip it when unchanged.
type SourcePage struct {
	DocID       string
	Location    string // URL or path it was read from
	ContentHash string
	// ETag and LastModified are the validators of the last fetch, for a
	// conditional request.
	ETag         string
	LastModified string
	Chunks       int
}

// SyncRecord is the outcome of one sync, recorded by Sources.RecordSync.
type SyncRecord struct {
	Status SourceStatus
	// ReplacePages replaces the source's pages with Pages. A sync that
	// failed before it knew the source's pages leaves it false, so the
	// pages recorded before are kept.
	ReplacePages bool
	Pages        []SourcePage
}

// Sources is the registry of sources and of the pages each has indexed.
type Sources interface {
	// AddSource registers src; a taken name is an error wrapping
	// ErrSourceExists.
	AddSource(ctx context.Context, src Source) error
	// Source returns one source by name, or an error wrapping ErrNotFound.
	Source(ctx context.Context, name string) (Source, error)
	// ListSources returns every source, by name.
	ListSources(ctx context.Context) ([]Source, error)
	// RemoveSource forgets a source and its pages (not the documents:
	// the caller deletes those first). ErrNotFound if it is not there.
	RemoveSource(ctx context.Context, name string) error
	// RecordSync stores the outcome of a sync atomically. ErrNotFound if
	// the source is not there (removed meanwhile).
	RecordSync(ctx context.Context, name string, rec SyncRecord) error
	// SourcePages lists the pages a source has indexed, by location.
	SourcePages(ctx context.Context, name string) ([]SourcePage, error)
	// ListedByOthers returns those of ids that a source other than name
	// lists among its pages, ordered: documents that sources share (the
	// same URL in one collection has one document id), which removing or
	// syncing one of them must not delete.
	ListedByOthers(ctx context.Context, name string, ids []string) ([]string, error)
	// UpdateSource changes the settings u gives of the named source, in
	// place and atomically, keeping its documents, pages and status. It
	// returns the source before and after the change. An unknown name is
	// an error wrapping ErrNotFound; settings no source may have (see
	// ValidateSource) one wrapping ErrInvalidInput, and nothing changes.
	UpdateSource(ctx context.Context, name string, u SourceUpdate) (before, after Source, err error)
}

// SourceUpdate is a change of a source's settings; a nil field is kept.
// A source's kind, location and collection cannot change: its documents
// and pages were read from that location into that collection, so such a
// change is a removal (which removes its documents) and a new source.
type SourceUpdate struct {
	Owner *string
	// Audience is the audience recorded on the source; the one enforced
	// is its collection's, which the caller sets separately.
	Audience    *string
	Approval    *bool
	Every       *time.Duration // 0: only when asked; else at least MinSourceInterval
	ReviewEvery *time.Duration // 0: none; else at least MinReviewInterval
}

// IsEmpty reports whether u changes nothing.
func (u SourceUpdate) IsEmpty() bool {
	return u.Owner == nil && u.Audience == nil && u.Approval == nil && u.Every == nil && u.ReviewEvery == nil
}

// Apply returns src with the settings u gives; backends apply it to the
// stored source and check the result with ValidateSource.
func (u SourceUpdate) Apply(src Source) Source {
	if u.Owner != nil {
		src.Owner = *u.Owner
	}
	if u.Audience != nil {
		src.Audience = *u.Audience
	}
	if u.Approval != nil {
		src.Approval = *u.Approval
	}
	if u.Every != nil {
		src.Every = *u.Every
	}
	if u.ReviewEvery != nil {
		src.ReviewEvery = *u.ReviewEvery
	}
	return src
}

// Limits of source fields.
const (
	maxSourceName  = 64
	maxSourceField = 2048
)

// ValidateSource refuses a source no backend may keep; the error wraps
// ErrInvalidInput and lists every problem.
func ValidateSource(src Source) error {
	var errs []error
	if !validSourceName(src.Name) {
		errs = append(errs, Invalid("source name %q must be 1 to %d letters, digits, '-', '_' or '.'", src.Name, maxSourceName))
	}
	known := false
	for _, k := range SourceKinds {
		known = known || src.Kind == k
	}
	if !known {
		errs = append(errs, Invalid("source kind %q is not one of %s", src.Kind, strings.Join(SourceKinds, ", ")))
	}
	if strings.TrimSpace(src.Location) == "" {
		errs = append(errs, Invalid("source location is empty"))
	}
	if strings.TrimSpace(src.Collection) == "" {
		errs = append(errs, Invalid("source collection is empty"))
	}
	// The collection and owner become every document's, where they are
	// identifiers.
	for _, f := range []field{{"collection", src.Collection}, {"owner", src.Owner}} {
		if len(f.v) > MaxID {
			errs = append(errs, tooLong("source "+f.name, len(f.v), MaxID))
		}
	}
	for _, f := range []field{{"location", src.Location}, {"collection", src.Collection}, {"owner", src.Owner}, {"audience", src.Audience}} {
		if err := checkSourceText(f.name, f.v); err != nil {
			errs = append(errs, err)
		}
	}
	if src.Every < 0 || (src.Every > 0 && src.Every < MinSourceInterval) {
		errs = append(errs, Invalid("source schedule %s must be 0 (only when asked) or at least %s", Period(src.Every), Period(MinSourceInterval)))
	}
	if src.ReviewEvery < 0 || (src.ReviewEvery > 0 && src.ReviewEvery < MinReviewInterval) {
		errs = append(errs, Invalid("source review interval %s must be 0 (none) or at least %s", Period(src.ReviewEvery), Period(MinReviewInterval)))
	}
	return errors.Join(errs...)
}

// ValidateSyncRecord refuses a record with text no backend may keep.
func ValidateSyncRecord(rec SyncRecord) error {
	if !utf8.ValidString(rec.Status.LastError) || strings.IndexByte(rec.Status.LastError, 0) >= 0 {
		return Invalid("sync error text is not valid UTF-8 or holds a NUL byte")
	}
	if !utf8.ValidString(rec.Status.Landed) || strings.IndexByte(rec.Status.Landed, 0) >= 0 {
		return Invalid("the URL the source landed at is not valid UTF-8 or holds a NUL byte")
	}
	for _, p := range rec.Pages {
		for _, v := range []string{p.DocID, p.Location, p.ContentHash, p.ETag, p.LastModified} {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				return Invalid("page %q: text is not valid UTF-8 or holds a NUL byte", p.Location)
			}
		}
		if p.DocID == "" {
			return Invalid("page %q has no document id", p.Location)
		}
		if len(p.DocID) > MaxID {
			return tooLong(fmt.Sprintf("document id of page %q", p.Location), len(p.DocID), MaxID)
		}
	}
	return nil
}

func validSourceName(s string) bool {
	if s == "" || len(s) > maxSourceName {
		return false
	}
	for _, r := range s {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func checkSourceText(field, v string) error {
	if len(v) > maxSourceField {
		return Invalid("source %s is over %d bytes", field, maxSourceField)
	}
	if !utf8.ValidString(v) {
		return Invalid("source %s is not valid UTF-8", field)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return Invalid("source %s holds a control character", field)
		}
	}
	return nil
}
