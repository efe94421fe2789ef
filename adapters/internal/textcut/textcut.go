// Package textcut finds where the chat adapters may cut text: only between
// whole user-perceived characters (grapheme clusters), so that a cut never
// splits an emoji sequence, a flag or a letter from its accent.
package textcut

import "github.com/rivo/uniseg"

// GraphemeStart returns the start of the grapheme of s that holds the
// byte at, or at itself when a grapheme starts there.
func GraphemeStart(s string, at int) int {
	start, state := 0, -1
	rest := s
	for rest != "" {
		cluster, r, _, st := uniseg.FirstGraphemeClusterInString(rest, state)
		end := start + len(cluster)
		if end > at {
			return start
		}
		start, rest, state = end, r, st
	}
	return start
}
