package store

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// validTerm agrees with the general rule (non-empty, no white space,
// CheckText) on terms of ASCII, other scripts, Unicode spaces, NUL bytes
// and invalid UTF-8.
func TestValidTermAgreesWithTheGeneralRule(t *testing.T) {
	pieces := []string{"a", "z", "_", "7", "é", "ß", "日本", " ", "\t", "\n", "\v", "\f", "\r",
		"\u0085", "\u00a0", "\u2003", "\u3000", "\x00", "\xff", "\xc3", "\x7f", "~"}
	rng := rand.New(rand.NewPCG(1, 2))
	terms := []string{""}
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(5) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		terms = append(terms, b.String())
	}
	var valid, invalid int
	for _, r := range []Rules{{}, {NoNUL: true}} {
		for _, term := range terms {
			want := term != "" && !strings.ContainsFunc(term, unicode.IsSpace) && r.CheckText("term", term) == nil
			if got := r.validTerm(term); got != want {
				t.Fatalf("%+v: validTerm(%q) = %v, want %v", r, term, got, want)
			}
			if want {
				valid++
			} else {
				invalid++
			}
		}
	}
	if valid < 1000 || invalid < 1000 {
		t.Fatalf("%d valid and %d invalid terms checked; the sample should hold many of both", valid, invalid)
	}
}

func BenchmarkValidateDocument(b *testing.B) {
	words := strings.Fields(strings.Repeat("annual leave is twenty seven days a year plus public_holiday holidays ", 17))
	chunks := make([]Chunk, 20)
	for i := range chunks {
		chunks[i] = Chunk{Text: strings.Join(words, " "), Terms: words, Vector: make([]float32, 256)}
		chunks[i].Vector[0] = 1
	}
	doc := Document{ID: "d", Title: "Leave"}
	r := Rules{NoNUL: true}
	for b.Loop() {
		if _, err := r.ValidateDocument(doc, chunks); err != nil {
			b.Fatal(err)
		}
	}
}
