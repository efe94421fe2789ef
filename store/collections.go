package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Document statuses. Only published documents are searched and answered
// from; a draft waits for a curator's approval (Documents.PublishDocument).
const (
	StatusPublished = "published"
	StatusDraft     = "draft"
)

// Scope is the part of the knowledge base a search may return: the
// collections one reader, in one place, may be answered from. Draft
// documents are outside every scope.
//
// The zero Scope admits nothing, so that a caller that forgets to say
// what a reader may see shows them nothing rather than everything.
type Scope struct {
	// All admits every collection except those in Except. Without it,
	// only Collections (less Except) are admitted.
	All         bool
	Collections []string
	// Except are never admitted, whatever All and Collections say: the
	// collections whose audience excludes the reader.
	Except []string
}

// Everything is the scope of every published document, for callers that
// answer no particular reader (evaluation, benchmarks, the operator).
var Everything = Scope{All: true}

// Admits reports whether documents of collection are in the scope.
func (s Scope) Admits(collection string) bool {
	if slices.Contains(s.Except, collection) {
		return false
	}
	return s.All || slices.Contains(s.Collections, collection)
}

// Unlimited reports whether the scope admits every collection, so that a
// backend can take its unfiltered path.
func (s Scope) Unlimited() bool { return s.All && len(s.Except) == 0 }

// Collection holds the settings of one collection of documents. A
// collection without settings admits everyone and needs no approval.
type Collection struct {
	Name string
	// Audience says who may be answered from the collection, in the
	// syntax of package knowledge/audience; empty means everyone. The
	// store keeps it as text and does not interpret it.
	Audience string
	// Approval makes documents new to the collection arrive as drafts.
	Approval  bool
	UpdatedAt time.Time
}

// Collections keeps the settings of collections.
type Collections interface {
	// SetCollection creates or replaces the settings of c.Name.
	SetCollection(ctx context.Context, c Collection) error
	// ListCollections returns every collection with settings, by name.
	ListCollections(ctx context.Context) ([]Collection, error)
}

// MaxCollectionName is the longest collection name, in bytes.
const MaxCollectionName = 100

// CheckCollectionName refuses a name that is not a collection name: 1 to
// MaxCollectionName letters, digits, '.', '_' or '-', starting with a
// letter or digit, so that a name fits a command line, a chat command and
// a configuration list without quoting. Every place that takes a new
// collection name checks it here (the backends keep whatever name older
// documents have). The error wraps ErrInvalidInput and names the name,
// shortened and quoted so that control characters show as escapes.
func CheckCollectionName(name string) error {
	ok := name != "" && len(name) <= MaxCollectionName
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		ok = alnum || i > 0 && (c == '.' || c == '_' || c == '-')
	}
	if ok {
		return nil
	}
	shown := name
	if r := []rune(shown); len(r) > 40 {
		shown = string(r[:40]) + "…"
	}
	return Invalid("%q is not a collection name: 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", shown, MaxCollectionName)
}

// ValidateCollection refuses settings no backend may keep; the error wraps
// ErrInvalidInput.
func ValidateCollection(c Collection) error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, Invalid("collection name is empty"))
	}
	if len(c.Name) > MaxID {
		errs = append(errs, tooLong("collection name", len(c.Name), MaxID))
	}
	for _, f := range []field{{"collection name", c.Name}, {"audience", c.Audience}} {
		switch {
		case len(f.v) > maxSourceField:
			errs = append(errs, Invalid("%s is over %d bytes", f.name, maxSourceField))
		case !utf8.ValidString(f.v):
			errs = append(errs, Invalid("%s is not valid UTF-8", f.name))
		case strings.ContainsFunc(f.v, unicode.IsControl):
			errs = append(errs, Invalid("%s holds a control character", f.name))
		}
	}
	return errors.Join(errs...)
}

// ValidateStatus refuses a document status other than "" (keep, or the
// collection's default), StatusDraft and StatusPublished.
func ValidateStatus(status string) error {
	switch status {
	case "", StatusDraft, StatusPublished:
		return nil
	}
	return Invalid("document status %q is neither %q nor %q", status, StatusDraft, StatusPublished)
}
