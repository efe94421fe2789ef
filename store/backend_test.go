package store_test

import (
	"strings"
	"testing"

	"github.com/lorehq/lore/store"
)

func TestQuoteID(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		{"U012AB3CD", `"U012AB3CD"`},
		{"a\nb", `"a\nb"`},
		{strings.Repeat("x", 64), `"` + strings.Repeat("x", 64) + `"`},
		{strings.Repeat("x", 5000), `"` + strings.Repeat("x", 64) + `"…`},
		// The cut falls inside "é" (2 bytes), which is left out whole.
		{strings.Repeat("x", 63) + "é" + strings.Repeat("x", 100), `"` + strings.Repeat("x", 63) + `"…`},
	} {
		if got := store.QuoteID(c.id); got != c.want {
			t.Errorf("QuoteID(%.20q…) = %s, want %s", c.id, got, c.want)
		}
	}
}
