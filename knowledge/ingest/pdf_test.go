package ingest

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParsePDFPagesBecomeHeadings(t *testing.T) {
	data := makePDF("Travel Policy",
		[]string{"Booking travel", "Book flights through the travel desk at least", "two weeks before departure."},
		[]string{"Per diem rates", "The daily allowance abroad is 60 euros."},
	)
	got, err := ParsePDF("travel.pdf", data, Options{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if got.Title != "Travel Policy" || got.Format != FormatPDF {
		t.Errorf("title %q format %q", got.Title, got.Format)
	}
	if len(got.Chunks) != 2 {
		t.Fatalf("chunks %+v, want one per page", got.Chunks)
	}
	for i, want := range []struct{ heading, text string }{
		{"p. 1", "two weeks before departure"},
		{"p. 2", "60 euros"},
	} {
		c := got.Chunks[i]
		if c.Heading != want.heading || !strings.Contains(c.Text, want.text) {
			t.Errorf("chunk %d = %q / %q, want heading %q with %q", i, c.Heading, c.Text, want.heading, want.text)
		}
	}
	// Parse dispatches .pdf files here.
	viaParse, err := Parse("dir/travel.PDF", data, Options{})
	if err != nil || len(viaParse.Chunks) != 2 {
		t.Errorf("Parse of a .PDF: %d chunks, %v", len(viaParse.Chunks), err)
	}
}

func TestParsePDFLongPageSplitsUnderSameHeading(t *testing.T) {
	var lines []string
	for range 40 {
		lines = append(lines, "Expenses above the limit need a manager's approval before purchase.")
	}
	got, err := ParsePDF("long.pdf", makePDF("", []string{"short first page"}, lines), Options{MaxChunkChars: 300})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Chunks) < 4 {
		t.Fatalf("%d chunks, want the long page split", len(got.Chunks))
	}
	for _, c := range got.Chunks[1:] {
		if c.Heading != "p. 2" {
			t.Errorf("chunk of page 2 headed %q", c.Heading)
		}
	}
	if got.Title != "Long" {
		t.Errorf("title %q, want one made from the file name", got.Title)
	}
}

func TestParsePDFBadInput(t *testing.T) {
	valid := makePDF("T", []string{"Some text"})
	tests := map[string]struct {
		data []byte
		want error
	}{
		"no text layer":     {makePDF("Scan", nil, nil), ErrNoText},
		"not a PDF":         {[]byte("<html>hello</html>"), ErrMalformed},
		"empty":             {nil, ErrMalformed},
		"truncated":         {valid[:len(valid)/2], ErrMalformed},
		"header only":       {[]byte("%PDF-1.7\n"), ErrMalformed},
		"garbage after hdr": {append([]byte("%PDF-1.4\n"), make([]byte, 4096)...), ErrMalformed},
		// Found by fuzzing: an unterminated <hex string> made the reader
		// loop forever.
		"endless hex string": {readTestdata(t, "hex-loop.pdf"), ErrMalformed},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePDF("bad.pdf", tt.data, Options{})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), "bad.pdf") {
				t.Fatalf("error %v, want %v naming the file", err, tt.want)
			}
		})
	}
}

func TestPDFSeedFilesAreCurrent(t *testing.T) {
	// The fuzz seeds in testdata are made by makePDF; rewrite them with
	// LORE_WRITE_TESTDATA=1 after changing it.
	seeds := map[string][]byte{
		"testdata/sources/handbook.pdf": makePDF("Handbook", []string{"Welcome", "Leave is 27 days."}, []string{"Expenses", "Claim within 30 days."}),
		"testdata/sources/scan.pdf":     makePDF("Scan", nil),
	}
	for path, want := range seeds {
		if os.Getenv("LORE_WRITE_TESTDATA") != "" {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is missing or stale (%v): run with LORE_WRITE_TESTDATA=1", path, err)
		}
	}
}
