// Package samples holds the learning tracks bundled with Lore. They match
// the sample handbook of the fictional company Quillfeather Labs
// (knowledge/handbook), so that the demo in lore chat can show nudges.
package samples

import "embed"

// Tracks holds the sample track files under tracks/.
//
//go:embed tracks/*.md
var Tracks embed.FS
