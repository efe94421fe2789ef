package store

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The input rules below are checked by every backend before any write, so
// that what one database takes the others take too, and so that bad input
// is refused where it enters rather than mangled later, far from the
// cause. Their errors wrap ErrInvalidInput.

// Rules are the input rules of one backend. The zero value holds the rules
// every backend applies. A database that cannot keep some text says so
// here, so that its refusal is checked with the rest, before any write,
// and names the field at fault; other limits of one backend, such as a
// bound on vector dimensions, are checked by that backend on top.
type Rules struct {
	// NoNUL refuses text holding a NUL byte, for databases whose text
	// type cannot hold one (PostgreSQL's).
	NoNUL bool
}

// MaxID is the longest identifier a backend keeps, in bytes: the ids of
// people, workspaces, channels, threads, documents, events, tracks, cards
// and deliveries, and the names and kinds that key records. Slack and
// Discord ids are 9 to 20 characters and an email address is at most 254
// bytes, so every real id fits. PostgreSQL's btree indexes take rows of
// at most 2704 bytes; at this limit the widest key Lore indexes, the five
// ids of a card state, stays well under it, so that a longer id is refused
// by every backend alike, naming the field, rather than by one database's
// index.
const MaxID = 256

// CheckID is CheckText for an identifier, which also may not be longer
// than MaxID bytes. Writes check it; reads and deletes take any id, and
// one no record can have finds nothing, so that records kept before the
// limit stay readable and removable.
func (r Rules) CheckID(field, v string) error {
	if len(v) > MaxID {
		return tooLong(field, len(v), MaxID)
	}
	return r.CheckText(field, v)
}

// CheckIDs applies CheckID to each of vs, naming them field[i].
func (r Rules) CheckIDs(field string, vs []string) error {
	for i, v := range vs {
		if err := r.CheckID(fmt.Sprintf("%s[%d]", field, i), v); err != nil {
			return err
		}
	}
	return nil
}

// field is a value and the name an error gives it.
type field struct{ name, v string }

// checkIDFields applies CheckID to each field.
func (r Rules) checkIDFields(fs ...field) error {
	for _, f := range fs {
		if err := r.CheckID(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// tooLong refuses an identifier of n bytes; the id itself is not quoted,
// being kilobytes long.
func tooLong(field string, n, limit int) error {
	return Invalid("%s is %d bytes, longer than the %d bytes an identifier may have", field, n, limit)
}

// CheckText refuses text that is not valid UTF-8 (a database may keep the
// bytes, but JSON encoding, analysis and every chat platform would mangle
// or refuse them later) and, with NoNUL, text holding a NUL byte. field
// names the text in the error.
func (r Rules) CheckText(field, v string) error {
	if !utf8.ValidString(v) {
		return Invalid("%s is not valid UTF-8", field)
	}
	if r.NoNUL && strings.IndexByte(v, 0) >= 0 {
		return Invalid("%s holds a NUL byte", field)
	}
	return nil
}

// CheckTexts applies CheckText to each of vs, naming them field[i].
func (r Rules) CheckTexts(field string, vs []string) error {
	for i, v := range vs {
		if err := r.CheckText(fmt.Sprintf("%s[%d]", field, i), v); err != nil {
			return err
		}
	}
	return nil
}

// ValidateDocument validates a document and its chunks before any write
// and returns the chunks' common vector dimension (0 when there are no
// chunks). Whether that dimension is the store's is for the backend to
// say.
func (r Rules) ValidateDocument(doc Document, chunks []Chunk) (dim int, err error) {
	if doc.ID == "" {
		return 0, Invalid("document id is empty")
	}
	if err := ValidateStatus(doc.Status); err != nil {
		return 0, err
	}
	// The owner names a person or team, and is indexed with the id and
	// the collection.
	if err := r.checkIDFields(field{"document id", doc.ID}, field{"collection", doc.Collection}, field{"owner", doc.Owner}); err != nil {
		return 0, err
	}
	for _, f := range []struct{ name, v string }{
		{"source", doc.Source},
		{"title", doc.Title},
		{"content hash", doc.ContentHash},
	} {
		if err := r.CheckText(f.name, f.v); err != nil {
			return 0, err
		}
	}
	if err := r.CheckTexts("tags", doc.Tags); err != nil {
		return 0, err
	}
	for i, c := range chunks {
		if c.DocID != "" && c.DocID != doc.ID {
			return 0, Invalid("chunk %d belongs to document %q, not %q", i, c.DocID, doc.ID)
		}
		// The fields are named only on failure: a bulk load validates
		// hundreds of thousands of chunks.
		if r.CheckText("", c.Heading) != nil {
			return 0, r.CheckText(fmt.Sprintf("chunk %d heading", i), c.Heading)
		}
		if r.CheckText("", c.Text) != nil {
			return 0, r.CheckText(fmt.Sprintf("chunk %d text", i), c.Text)
		}
		for j, t := range c.Terms {
			// A backend may keep terms space-joined and split them on
			// white space when loading, so a term must be a single
			// non-empty word in every backend.
			if !r.validTerm(t) {
				return 0, Invalid("chunk %d term %d (%q) is empty, %s", i, j, t, r.termRule())
			}
		}
		if err := vectorFault(c.Vector); err != nil {
			return 0, Invalid("chunk %d: %v", i, err)
		}
		switch {
		case i == 0:
			dim = len(c.Vector)
		case len(c.Vector) != dim:
			return 0, Invalid("chunk %d has a vector of dimension %d, chunk 0 of %d", i, len(c.Vector), dim)
		}
	}
	return dim, nil
}

// validTerm reports whether t is a non-empty word the rules admit: no
// white space, valid UTF-8 and, with NoNUL, no NUL byte. Terms are nearly
// always ASCII, which one pass over the bytes settles; any other term
// takes the general checks.
func (r Rules) validTerm(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		switch b := t[i]; {
		case b >= utf8.RuneSelf:
			return !strings.ContainsFunc(t, unicode.IsSpace) && r.CheckText("term", t) == nil
		case b == 0 && r.NoNUL, asciiSpace[b]:
			return false
		}
	}
	return true
}

// asciiSpace marks the ASCII bytes unicode.IsSpace reports as space.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// termRule completes the sentence that refuses a term.
func (r Rules) termRule() string {
	if r.NoNUL {
		return "holds white space or a NUL byte, or is not UTF-8"
	}
	return "holds white space or is not UTF-8"
}

// ValidateEvent refuses an event without an id or kind, with an overlong
// identifier, or with text the rules refuse. Ref is text: it may hold a
// round id, which joins several identifiers.
func (r Rules) ValidateEvent(e Event) error {
	if e.ID == "" {
		return Invalid("event id is empty")
	}
	if e.Kind == "" {
		return Invalid("event kind is empty")
	}
	if err := r.checkIDFields(field{"event id", e.ID}, field{"event kind", e.Kind}, field{"event platform", e.Platform},
		field{"event workspace", e.Workspace}, field{"event channel", e.Channel}, field{"event thread", e.Thread},
		field{"event user", e.User}); err != nil {
		return err
	}
	for _, f := range []field{{"question", e.Question}, {"ref", e.Ref}} {
		if err := r.CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	return r.CheckIDs("document ids", e.DocIDs)
}

// ValidateForwardedIDs refuses the arguments of Statements.ForwardedIDs
// that can list nothing: an empty user or a limit that is not positive.
func ValidateForwardedIDs(user string, limit int) error {
	switch {
	case user == "":
		return Invalid("user is empty")
	case limit <= 0:
		return Invalid("limit %d is not positive", limit)
	}
	return nil
}

// ValidateLock refuses the arguments of Locks.TryLock that no lease can
// have: an empty name or owner, a ttl that is not positive, or text the
// rules refuse.
func (r Rules) ValidateLock(name, owner string, ttl time.Duration) error {
	switch {
	case name == "":
		return Invalid("lock name is empty")
	case owner == "":
		return Invalid("lock owner is empty")
	case ttl <= 0:
		return Invalid("lease ttl %s is not positive", ttl)
	}
	return errors.Join(r.CheckID("lock name", name), r.CheckID("lock owner", owner))
}

// CheckVector refuses missing and non-finite vectors: every chunk needs
// one, and a NaN would poison every similarity it takes part in.
func CheckVector(v []float32) error {
	if err := vectorFault(v); err != nil {
		return Invalid("%v", err)
	}
	return nil
}

// vectorFault says what is wrong with v, for callers that add where v
// came from.
func vectorFault(v []float32) error {
	if len(v) == 0 {
		return errors.New("vector is empty")
	}
	for i, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("vector element %d is %v", i, f)
		}
	}
	return nil
}

// CheckDimension refuses vectors of dimension dim for a store that holds
// vectors of dimension have. Either being 0 means not known yet, which
// refuses nothing.
func CheckDimension(dim, have int) error {
	if dim != 0 && have != 0 && dim != have {
		return Invalid("vectors have dimension %d, the store holds %d", dim, have)
	}
	return nil
}

// ValidateLexicalQuery refuses a query with neither text nor terms, and a
// negative result count. A query whose text analysed to no terms (only
// stop words, say) is valid: it matches nothing.
func ValidateLexicalQuery(q LexicalQuery, k int) error {
	if strings.TrimSpace(q.Text) == "" && len(q.Terms) == 0 {
		return Invalid("empty query")
	}
	return checkResultCount(k)
}

// ValidateVectorQuery refuses a query vector CheckVector refuses, and a
// negative result count.
func ValidateVectorQuery(v []float32, k int) error {
	if err := CheckVector(v); err != nil {
		return err
	}
	return checkResultCount(k)
}

func checkResultCount(k int) error {
	if k < 0 {
		return Invalid("negative result count %d", k)
	}
	return nil
}

// ValidateEventFilter refuses a negative limit.
func ValidateEventFilter(f EventFilter) error {
	if f.Limit < 0 {
		return Invalid("negative limit %d", f.Limit)
	}
	return nil
}
