package sqlite

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lorehq/lore/store"
)

// Vectors are stored as little-endian float32s: compact, and decoded with
// plain bit conversions, which keeps loading 100,000 chunks at start-up
// well under a second of decoding.

func appendVector(buf []byte, v []float32) []byte {
	for _, f := range v {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(f))
	}
	return buf
}

// decodeVector fills dst from b, which must hold exactly len(dst) floats.
func decodeVector(dst []float32, b []byte) {
	if len(dst) == 0 {
		return
	}
	_ = b[4*len(dst)-1] // one bounds check for the whole loop
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// encodeStrings stores a list as a JSON array; nil and empty both become
// "[]" so that the column never needs a NULL check.
func encodeStrings(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	b, err := json.Marshal(ss)
	if err != nil {
		// Marshalling []string cannot fail for valid UTF-8, which
		// validation has already checked.
		panic(err)
	}
	return string(b)
}

// decodeStrings is the inverse of encodeStrings; an empty list decodes to
// nil so that a round trip of a nil slice is exact.
func decodeStrings(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var ss []string
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, fmt.Errorf("decode string list %q: %w", s, err)
	}
	return ss, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrInvalidInput, fmt.Sprintf(format, args...))
}

// checkText rejects text that is not valid UTF-8: SQLite would keep the
// bytes, but JSON encoding, analysis and every chat platform would mangle
// or refuse them later, far from the cause.
func checkText(field, v string) error {
	if !utf8.ValidString(v) {
		return invalid("%s is not valid UTF-8", field)
	}
	return nil
}

func checkTexts(field string, vs []string) error {
	for i, v := range vs {
		if err := checkText(fmt.Sprintf("%s[%d]", field, i), v); err != nil {
			return err
		}
	}
	return nil
}

// checkDocument validates a document and its chunks before any write and
// returns the chunks' common vector dimension (0 when there are no chunks).
func checkDocument(doc store.Document, chunks []store.Chunk) (dim int, err error) {
	if doc.ID == "" {
		return 0, invalid("document id is empty")
	}
	for _, f := range []struct{ name, v string }{
		{"document id", doc.ID},
		{"collection", doc.Collection},
		{"source", doc.Source},
		{"title", doc.Title},
		{"owner", doc.Owner},
		{"content hash", doc.ContentHash},
	} {
		if err := checkText(f.name, f.v); err != nil {
			return 0, err
		}
	}
	if err := checkTexts("tags", doc.Tags); err != nil {
		return 0, err
	}
	for i, c := range chunks {
		if c.DocID != "" && c.DocID != doc.ID {
			return 0, invalid("chunk %d belongs to document %q, not %q", i, c.DocID, doc.ID)
		}
		if err := checkText(fmt.Sprintf("chunk %d heading", i), c.Heading); err != nil {
			return 0, err
		}
		if err := checkText(fmt.Sprintf("chunk %d text", i), c.Text); err != nil {
			return 0, err
		}
		for j, t := range c.Terms {
			// Terms are stored space-joined and split on white space
			// when loaded, so a term must be a non-empty single word.
			if t == "" || strings.ContainsFunc(t, unicode.IsSpace) || !utf8.ValidString(t) {
				return 0, invalid("chunk %d term %d (%q) is empty, holds white space or is not UTF-8", i, j, t)
			}
		}
		if err := checkVector(c.Vector); err != nil {
			return 0, invalid("chunk %d: %v", i, err)
		}
		switch {
		case i == 0:
			dim = len(c.Vector)
		case len(c.Vector) != dim:
			return 0, invalid("chunk %d has a vector of dimension %d, chunk 0 of %d", i, len(c.Vector), dim)
		}
	}
	return dim, nil
}

// checkVector rejects missing and non-finite vectors: every chunk needs
// one, and a NaN would poison every similarity it takes part in.
func checkVector(v []float32) error {
	if len(v) == 0 {
		return fmt.Errorf("vector is empty")
	}
	for i, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("vector element %d is %v", i, f)
		}
	}
	return nil
}
