package ingest

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseWebPageKeepsArticleDropsFurniture(t *testing.T) {
	data, err := os.ReadFile("testdata/sources/page.html")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseWebPage("https://intranet.quillfeather.example/hr/remote-work", data, Options{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if !strings.Contains(got.Title, "Remote Work Guide") {
		t.Errorf("title %q", got.Title)
	}
	var all strings.Builder
	headings := map[string]bool{}
	for _, c := range got.Chunks {
		all.WriteString(c.Text + "\n")
		headings[c.Heading] = true
	}
	text := all.String()
	for _, want := range []string{"three days a week", "300 euros", "four hours of overlap",
		"https://intranet.quillfeather.example/it/equipment"} {
		if !strings.Contains(text, want) {
			t.Errorf("article text lacks %q:\n%s", want, text)
		}
	}
	for _, furniture := range []string{"Accept all cookies", "Privacy", "window.analytics", "font-family", "Sick leave"} {
		if strings.Contains(text, furniture) {
			t.Errorf("page furniture %q kept:\n%s", furniture, text)
		}
	}
	for _, h := range []string{"Equipment", "Working abroad > Time zones"} {
		if !headings[h] {
			t.Errorf("no chunk under heading %q; headings %v", h, headings)
		}
	}
}

func TestParseWebPageWithoutArticleFallsBack(t *testing.T) {
	got, err := ParseWebPage("https://example.com/faq/vpn-help", []byte("<ul><li>Restart the VPN client.</li></ul>"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Chunks) != 1 || !strings.Contains(got.Chunks[0].Text, "Restart the VPN client") {
		t.Errorf("chunks %+v", got.Chunks)
	}
	if got.Title != "Vpn help" {
		t.Errorf("title %q, want one made from the URL", got.Title)
	}
}

func TestParseWebPageBadInput(t *testing.T) {
	if _, err := ParseWebPage("https://example.com/x", []byte("\x00\x01\x02binary"), Options{}); !errors.Is(err, ErrBinary) {
		t.Errorf("binary: %v", err)
	}
	deep := strings.Repeat("<div>", 1000) + "deep" + strings.Repeat("</div>", 1000)
	if _, err := ParseWebPage("https://example.com/deep", []byte(deep), Options{}); err == nil {
		// x/net/html refuses nesting over 512; either way no panic.
		t.Log("deeply nested page parsed")
	}
	got, err := ParseWebPage("https://example.com/bad", []byte("<p>caf\xe9 \xff ok</p>"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got.Chunks {
		if !strings.Contains(c.Text, "\uFFFD") {
			t.Errorf("invalid UTF-8 not repaired: %q", c.Text)
		}
	}
}
