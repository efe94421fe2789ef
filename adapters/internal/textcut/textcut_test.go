package textcut

import "testing"

func TestGraphemeStart(t *testing.T) {
	family := "👨‍👩‍👧"              // three people joined by zero-width joiners: one grapheme
	s := "ab" + family + "e\u0301" // e and a combining acute accent
	for _, c := range []struct{ at, want int }{
		{0, 0},
		{1, 1},
		{2, 2},
		{3, 2},                   // inside the family
		{2 + len(family) - 1, 2}, // its last byte
		{2 + len(family), 2 + len(family)},
		{2 + len(family) + 1, 2 + len(family)}, // between e and its accent
		{len(s), len(s)},
	} {
		if got := GraphemeStart(s, c.at); got != c.want {
			t.Errorf("GraphemeStart(%q, %d) = %d, want %d", s, c.at, got, c.want)
		}
	}
}
