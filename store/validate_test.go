package store_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

func TestValidateDocument(t *testing.T) {
	doc := store.Document{ID: "d"}
	chunk := func(terms []string, v ...float32) store.Chunk { return store.Chunk{Terms: terms, Vector: v} }
	for _, c := range []struct {
		name   string
		rules  store.Rules
		chunks []store.Chunk
		want   string // "" for valid
	}{
		{"no chunks", store.Rules{}, nil, ""},
		{"common dimension", store.Rules{}, []store.Chunk{chunk([]string{"a"}, 1, 0), chunk(nil, 0, 1)}, ""},
		{"mixed dimensions", store.Rules{}, []store.Chunk{chunk(nil, 1, 0), chunk(nil, 1)},
			"chunk 1 has a vector of dimension 1, chunk 0 of 2"},
		{"no vector", store.Rules{}, []store.Chunk{chunk(nil)}, "chunk 0: vector is empty"},
		{"NaN", store.Rules{}, []store.Chunk{chunk(nil, 1, float32(math.NaN()))}, "chunk 0: vector element 1 is NaN"},
		{"term with a space", store.Rules{}, []store.Chunk{chunk([]string{"a b"}, 1)},
			`chunk 0 term 0 ("a b") is empty, holds white space or is not UTF-8`},
		{"term with NUL kept", store.Rules{}, []store.Chunk{chunk([]string{"a\x00"}, 1)}, ""},
		{"term with NUL refused", store.Rules{NoNUL: true}, []store.Chunk{chunk([]string{"a\x00"}, 1)},
			`chunk 0 term 0 ("a\x00") is empty, holds white space or a NUL byte, or is not UTF-8`},
		{"chunk of another document", store.Rules{}, []store.Chunk{{DocID: "e", Vector: []float32{1}}},
			`chunk 0 belongs to document "e", not "d"`},
	} {
		dim, err := c.rules.ValidateDocument(doc, c.chunks)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want nil", c.name, err)
		case c.want == "" && len(c.chunks) > 0 && dim != len(c.chunks[0].Vector):
			t.Errorf("%s: dimension %d, want %d", c.name, dim, len(c.chunks[0].Vector))
		case c.want != "" && (!errors.Is(err, store.ErrInvalidInput) || !strings.HasSuffix(err.Error(), ": "+c.want)):
			t.Errorf("%s: %v, want %q wrapping ErrInvalidInput", c.name, err, c.want)
		}
	}
	if _, err := (store.Rules{}).ValidateDocument(store.Document{}, nil); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("document without id: %v, want ErrInvalidInput", err)
	}
}

func TestRulesCheckText(t *testing.T) {
	for _, c := range []struct {
		name  string
		rules store.Rules
		v     string
		want  string // "" for valid
	}{
		{"plain", store.Rules{}, "leave", ""},
		{"invalid UTF-8", store.Rules{}, "bad\xff", "invalid input: title is not valid UTF-8"},
		{"NUL kept", store.Rules{}, "a\x00b", ""},
		{"NUL refused", store.Rules{NoNUL: true}, "a\x00b", "invalid input: title holds a NUL byte"},
	} {
		err := c.rules.CheckText("title", c.v)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want nil", c.name, err)
		case c.want != "" && (!errors.Is(err, store.ErrInvalidInput) || err.Error() != c.want):
			t.Errorf("%s: %v, want %q wrapping ErrInvalidInput", c.name, err, c.want)
		}
	}
}

func TestValidateArguments(t *testing.T) {
	var r store.Rules
	for name, err := range map[string]error{
		"event without id":   r.ValidateEvent(store.Event{Kind: store.EventQuestion}),
		"event without kind": r.ValidateEvent(store.Event{ID: "e"}),
		"event document id":  r.ValidateEvent(store.Event{ID: "e", Kind: store.EventAnswer, DocIDs: []string{"\xff"}}),
		"lock without name":  r.ValidateLock("", "a", time.Minute),
		"lock without owner": r.ValidateLock("x", "", time.Minute),
		"lock without ttl":   r.ValidateLock("x", "a", 0),
		"lock owner":         r.ValidateLock("x", "\xff", time.Minute),
		"empty query":        store.ValidateLexicalQuery(store.LexicalQuery{Scope: store.Everything, Text: " "}, 5),
		"negative k":         store.ValidateLexicalQuery(store.LexicalQuery{Scope: store.Everything, Terms: []string{"a"}}, -1),
		"no query vector":    store.ValidateVectorQuery(nil, 5),
		"infinite element":   store.ValidateVectorQuery([]float32{float32(math.Inf(1))}, 5),
		"negative limit":     store.ValidateEventFilter(store.EventFilter{Limit: -1}),
		"other dimension":    store.CheckDimension(4, 8),
	} {
		if !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	for name, err := range map[string]error{
		"event":                 r.ValidateEvent(store.Event{ID: "e", Kind: store.EventQuestion}),
		"lock":                  r.ValidateLock("x", "a", time.Minute),
		"stop words only":       store.ValidateLexicalQuery(store.LexicalQuery{Scope: store.Everything, Text: "is it?"}, 5),
		"vector query":          store.ValidateVectorQuery([]float32{0, 1}, 0),
		"dimension not yet set": store.CheckDimension(4, 0),
	} {
		if err != nil {
			t.Errorf("%s: %v, want nil", name, err)
		}
	}
}

func TestCheckID(t *testing.T) {
	var r store.Rules
	if err := r.CheckID("person user", strings.Repeat("u", store.MaxID)); err != nil {
		t.Errorf("id at the limit: %v", err)
	}
	err := r.CheckID("person user", strings.Repeat("u", 5000))
	want := "invalid input: person user is 5000 bytes, longer than the 256 bytes an identifier may have"
	if !errors.Is(err, store.ErrInvalidInput) || err == nil || err.Error() != want {
		t.Errorf("overlong id: %v, want %q wrapping ErrInvalidInput", err, want)
	}
	if err := r.CheckID("person user", "U\xff"); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("id that is not UTF-8: %v, want ErrInvalidInput", err)
	}
	if err := r.CheckIDs("seen cards", []string{"c1", strings.Repeat("c", store.MaxID+1)}); err == nil || !strings.Contains(err.Error(), "seen cards[1] is 257 bytes") {
		t.Errorf("overlong id in a list: %v, want it named by its index", err)
	}
}

// The limits of a source's schedule and review interval read as people
// say them, as lore sources shows a schedule, not as Go durations.
func TestValidateSourceWordsItsLimits(t *testing.T) {
	src := store.Source{Name: "hb", Kind: store.SourceURL, Location: "https://example.com/", Collection: "default"}
	for _, tc := range []struct {
		every, review time.Duration
		want          string
	}{
		{every: 30 * time.Second, want: "source schedule 30s must be 0 (only when asked) or at least a minute"},
		{review: 2 * time.Hour, want: "source review interval 2 hours must be 0 (none) or at least a day"},
		{review: time.Hour, want: "source review interval an hour must be 0 (none) or at least a day"},
		{every: -time.Hour, want: "source schedule -1h0m0s must be 0 (only when asked) or at least a minute"},
	} {
		src.Every, src.ReviewEvery = tc.every, tc.review
		err := store.ValidateSource(src)
		if !errors.Is(err, store.ErrInvalidInput) || !strings.HasSuffix(err.Error(), ": "+tc.want) {
			t.Errorf("every %s, review %s: error %v, want %q", tc.every, tc.review, err, tc.want)
		}
	}
}

func TestPeriodReadsAfterAtLeast(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "a minute", time.Hour: "an hour", 24 * time.Hour: "a day",
		7 * 24 * time.Hour: "7 days", 90 * time.Minute: "90 minutes", 90 * time.Second: "1m30s",
	} {
		if got := store.Period(d); got != want {
			t.Errorf("Period(%s) = %q, want %q", d, got, want)
		}
	}
}
