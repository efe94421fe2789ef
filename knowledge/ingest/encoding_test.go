package ingest

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16Bytes encodes s as UTF-16 with a byte order mark, as Windows
// Notepad saves "Unicode" text.
func utf16Bytes(s string, bigEndian bool) []byte {
	out := []byte{0xFF, 0xFE}
	if bigEndian {
		out = []byte{0xFE, 0xFF}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func allText(p Parsed) string {
	var b strings.Builder
	for _, c := range p.Chunks {
		b.WriteString(c.Heading + "\n" + c.Text + "\n")
	}
	return b.String()
}

// UTF-16 files used to be refused as binary (their ASCII characters hold
// NUL bytes); a byte order mark says what they are.
func TestParseReadsUTF16WithByteOrderMark(t *testing.T) {
	const md = "---\ntitle: Café opening hours\n---\n# Café\n\n## Weekdays\n\nThe café opens at 8:00 and serves crème brûlée.\n"
	for _, tc := range []struct {
		name string
		big  bool
	}{{"hours.md", false}, {"hours-be.md", true}, {"hours.txt", false}, {"hours.html", false}} {
		t.Run(tc.name, func(t *testing.T) {
			src := md
			if strings.HasSuffix(tc.name, ".html") {
				src = "<html><head><title>Café opening hours</title></head><body><h2>Weekdays</h2><p>The café opens at 8:00 and serves crème brûlée.</p></body></html>"
			}
			p, err := Parse(tc.name, utf16Bytes(src, tc.big), Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			text := allText(p)
			if !strings.Contains(text, "The café opens at 8:00 and serves crème brûlée.") || strings.ContainsRune(text, '\uFFFD') {
				t.Errorf("text %q, want the sentence decoded", text)
			}
			if !strings.HasSuffix(tc.name, ".txt") && p.Title != "Café opening hours" {
				t.Errorf("title %q", p.Title)
			}
		})
	}
	p, err := ParseWebPage("https://example.com/hours", utf16Bytes("<html><head><title>Hours</title></head><body><p>The café opens at 8:00.</p></body></html>", false), Options{})
	if err != nil || !strings.Contains(allText(p), "The café opens at 8:00.") {
		t.Errorf("web page: %q, %v", allText(p), err)
	}
}

func TestWalkReadsUTF16Files(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "notes.txt"), utf16Bytes("Notes\n\nWritten in Notepad.\n", false))
	writeFile(t, filepath.Join(dir, "junk.md"), []byte{0x01, 0x02, 0x00, 0x7f, 0x00})
	got, err := walk(t, []string{dir}, WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.read) != 1 || !strings.HasSuffix(got.read[0], "notes.txt") {
		t.Errorf("read %q, want notes.txt (and junk.md skipped as binary: %v)", got.read, got.reasons)
	}
}

// A binary file behind a byte order mark is still binary.
func TestParseRefusesBinaryBehindAByteOrderMark(t *testing.T) {
	data := append([]byte{0xFF, 0xFE}, make([]byte, 64)...)
	if _, err := Parse("x.md", data, Options{}); err == nil {
		t.Error("NULs after a byte order mark were read as text")
	}
}

// Text in a legacy encoding used to have every accented letter replaced
// with U+FFFD, even when the page or the server said which encoding it is.
func TestParseReadsDeclaredEncodings(t *testing.T) {
	latin1 := func(s string) []byte { // ISO-8859-1: one byte per rune
		var b []byte
		for _, r := range s {
			b = append(b, byte(r))
		}
		return b
	}
	const sentence = "Le café est fermé le lundi à Noël."
	body := "<p>" + sentence + "</p><p>Ce paragraphe est là pour que le texte ressemble à un article entier.</p>"
	tests := []struct {
		name, file, charset string
		data                []byte
	}{
		{"meta charset", "a.html", "", latin1(`<html><head><meta charset="iso-8859-1"><title>Café</title></head><body>` + body + `</body></html>`)},
		{"meta http-equiv", "a.html", "", latin1(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><title>Café</title></head><body>` + body + `</body></html>`)},
		{"server charset, text", "a.txt", "ISO-8859-1", latin1("Café\n\n" + sentence + "\n")},
		{"server charset, Markdown", "a.md", "latin1", latin1("# Café\n\n" + sentence + "\n")},
		{"server charset over meta", "a.html", "iso-8859-1", latin1(`<html><head><meta charset="koi8-r"><title>Café</title></head><body>` + body + `</body></html>`)},
		{"UTF-8 labelled Latin-1", "a.txt", "iso-8859-1", []byte("Café\n\n" + sentence + "\n")},
		{"UTF-8 page with meta", "a.html", "", []byte(`<html><head><meta charset="iso-8859-1"><title>Café</title></head><body>` + body + `</body></html>`)},
		{"unknown charset", "a.txt", "x-no-such-charset", []byte("Café\n\n" + sentence + "\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.file, tc.data, Options{Charset: tc.charset})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if text := allText(p); !strings.Contains(text, sentence) {
				t.Errorf("text %q, want %q", text, sentence)
			}
		})
	}
	page := latin1(`<html><head><title>Café</title></head><body>` + body + `</body></html>`)
	p, err := ParseWebPage("https://example.com/cafe", page, Options{Charset: "iso-8859-1"})
	if err != nil || !strings.Contains(allText(p), sentence) || p.Title != "Café" {
		t.Errorf("web page: title %q, text %q, %v", p.Title, allText(p), err)
	}
	// Nothing declared: UTF-8, a stray byte costing one character.
	p, err = Parse("a.txt", []byte("Caf\xe9\n\nThe rest is fine.\n"), Options{})
	if err != nil || !strings.Contains(allText(p), "Caf\uFFFD") || !strings.Contains(allText(p), "The rest is fine.") {
		t.Errorf("undeclared: %q, %v", allText(p), err)
	}
}
