package ingest

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, path := range []string{
		"testdata/handbook/leave/parental-leave.md",
		"testdata/handbook/leave/archive/sabbatical.markdown",
		"testdata/handbook/it/vpn.html",
	} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, strings.HasSuffix(path, ".html"), uint16(80))
	}
	f.Add([]byte("---\ntitle: [\n---\n"), false, uint16(0))
	f.Add([]byte("# A\n\n```\n# b\n"), false, uint16(3))
	f.Add([]byte("- a\n  - b\n    1. c\n\n> d"), false, uint16(5))
	f.Add([]byte("<ul><li><p>x<table><tr><td><pre>y\n z</pre>"), true, uint16(2))
	f.Add([]byte("<a href=\"https://x\"><div>t</div></a><h3>\xff</h3>"), true, uint16(1))

	f.Fuzz(func(t *testing.T, data []byte, asHTML bool, limit uint16) {
		name := "fuzz.md"
		if asHTML {
			name = "fuzz.html"
		}
		opts := Options{MaxChunkChars: int(limit % 2000)}
		got, err := Parse(name, data, opts)
		if err != nil {
			return // a reported error is fine; a panic is not
		}
		max := opts.withDefaults().MaxChunkChars
		if !utf8.ValidString(got.Title) || strings.TrimSpace(got.Title) == "" {
			t.Errorf("bad title %q", got.Title)
		}
		for i, p := range got.Chunks {
			if !utf8.ValidString(p.Text) || !utf8.ValidString(p.Heading) {
				t.Errorf("chunk %d is not valid UTF-8: %q / %q", i, p.Heading, p.Text)
			}
			if strings.TrimSpace(p.Text) == "" {
				t.Errorf("chunk %d is empty: %q", i, p.Text)
			}
			if n := utf8.RuneCountInString(p.Text); n > max {
				t.Errorf("chunk %d has %d characters, over %d", i, n, max)
			}
		}
	})
}
