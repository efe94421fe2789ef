package ingest

import (
	"errors"
	"fmt"
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

// A page tree that lists itself among its kids sent the PDF reader's
// Reader.Page round the loop forever, at full CPU and deaf to Ctrl-C.
// Before the fix this test never returned (go test's -timeout ended it).
func TestParsePDFRefusesBrokenPageTrees(t *testing.T) {
	page := func(parent int) string {
		return fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>", parent)
	}
	const font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
	const content = "<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 720 Td (Quokka text) Tj ET\nendstream"
	// 1 the catalog, 2 the page, 3 its font, 4 its content, then n Pages
	// nodes from 5 on, each the only kid of the one before.
	chain := func(n int) []string {
		objs := []string{"<< /Type /Catalog /Pages 5 0 R >>", page(4 + n), font, content}
		for i := range n {
			kid := fmt.Sprintf("%d 0 R", 6+i)
			if i == n-1 {
				kid = "2 0 R"
			}
			objs = append(objs, fmt.Sprintf("<< /Type /Pages /Count 1 /Kids [%s] >>", kid))
		}
		return objs
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"a node that is its own kid", readTestdata(t, "page-tree-loop.pdf"), ErrMalformed},
		{"a loop through two nodes", rawPDF(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Count 2 /Kids [3 0 R] >>",
			"<< /Type /Pages /Count 1 /Kids [2 0 R 2 0 R] >>",
		), ErrMalformed},
		{"a tree nested deeper than any writer nests", rawPDF(chain(maxPageTreeDepth + 5)...), ErrMalformed},
		{"a node listing a kid many times over", rawPDF(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Count 1 /Kids ["+strings.Repeat("3 0 R ", 3000)+"] >>",
			"<< /Type /Pages /Count 1 /Kids ["+strings.Repeat("4 0 R ", 3000)+"] >>",
			page(3),
		), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePDF("broken.pdf", tt.data, Options{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// A sound chain a few levels deep is read.
	got, err := ParsePDF("deep.pdf", rawPDF(chain(5)...), Options{})
	if err != nil || len(got.Chunks) != 1 || !strings.Contains(got.Chunks[0].Text, "Quokka") {
		t.Errorf("a tree five levels deep: %+v, %v", got.Chunks, err)
	}
}
