package ingest

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// A feed's encoding comes from its byte order mark, the server's charset
// (which wins over the XML declaration, RFC 7303) or its declaration.
func TestParseFeedEncodings(t *testing.T) {
	latin1 := func(s string) []byte {
		b, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	utf16 := func(s string) []byte {
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const body = `<rss version="2.0"><channel><title>Café des équipes</title>` +
		`<item><title>Déjà vu</title><link>https://news.example/deja-vu</link><description>Crème brûlée au menu.</description></item>` +
		`</channel></rss>`
	cases := map[string]struct {
		data    []byte
		charset string
	}{
		"declared in the XML declaration":        {latin1(`<?xml version="1.0" encoding="ISO-8859-1"?>` + body), ""},
		"named by the server only":               {latin1(`<?xml version="1.0"?>` + body), "iso-8859-1"},
		"named by both":                          {latin1(`<?xml version="1.0" encoding="ISO-8859-1"?>` + body), "ISO-8859-1"},
		"server's charset wins over declaration": {latin1(`<?xml version="1.0" encoding="UTF-8"?>` + body), "windows-1252"},
		"UTF-16 with a byte order mark":          {utf16(`<?xml version="1.0" encoding="UTF-16"?>` + body), ""},
		"UTF-8 mislabelled by the server":        {[]byte(`<?xml version="1.0" encoding="UTF-8"?>` + body), "iso-8859-1"},
		// The declaration is the one wrong: the server's charset wins.
		"UTF-8 mislabelled by the declaration":        {[]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>` + body), "utf-8"},
		"UTF-8 mislabelled by server and declaration": {[]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>` + body), "iso-8859-1"},
		// Text that is no UTF-8 is not: the declaration is believed.
		"Latin-1 mislabelled UTF-8 by the server": {latin1(`<?xml version="1.0" encoding="ISO-8859-1"?>` + body), "utf-8"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			feed, err := ParseFeed("https://news.example/feed.xml", c.data, Options{Charset: c.charset})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if feed.Title != "Café des équipes" || len(feed.Items) != 1 || feed.Items[0].Parsed.Title != "Déjà vu" {
				t.Fatalf("feed %q with %d items %+v", feed.Title, len(feed.Items), feed.Items)
			}
			var text strings.Builder
			for _, p := range feed.Items[0].Parsed.Chunks {
				text.WriteString(p.Text)
			}
			if !strings.Contains(text.String(), "Crème brûlée") {
				t.Errorf("entry text %q", text.String())
			}
		})
	}
}
