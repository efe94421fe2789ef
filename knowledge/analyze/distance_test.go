package analyze_test

import (
	"testing"

	"github.com/lorehq/lore/knowledge/analyze"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"audiance", "audience", 1},
		{"chat_modle", "chat_model", 2},
		{"kitten", "sitting", 3},
		{"café", "cafe", 1}, // runes, not bytes
		{"drafts", "draft", 1},
	} {
		if got := analyze.EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := analyze.EditDistance(c.b, c.a); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.b, c.a, got, c.want)
		}
	}
}
