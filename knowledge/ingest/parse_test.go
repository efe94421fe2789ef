package ingest

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		path string
		want Parsed
	}{
		{
			path: "testdata/handbook/leave/parental-leave.md",
			want: Parsed{
				Title:    "Parental leave policy",
				Tags:     []string{"leave", "family"},
				Owner:    "people-team@example.com",
				ReviewBy: "2025-06-30",
				Format:   "markdown",
				Chunks: []Piece{
					{Heading: "", Text: "This page explains how parental leave works at Acme."},
					{Heading: "Eligibility", Text: "Every employee is eligible from their first day. See the leave overview or the government guidance (https://www.gov.example/parental-leave)."},
					{Heading: "Eligibility > Adoption", Text: "Adoptive parents get the same leave as birth parents."},
					{Heading: "How to apply", Text: "1. Tell your manager at least 8 weeks ahead.\n" +
						"2. Submit the request in the HR portal:\n" +
						"  - choose Parental leave\n" +
						"  - attach the certificate\n" +
						"3. Wait for confirmation.\n\n" +
						"```\n# not a heading\nhr-cli request --type parental\n```\n\n" +
						"Weeks | Pay\n1-16 | Full pay"},
				},
			},
		},
		{
			path: "testdata/handbook/it/vpn.html",
			want: Parsed{
				Title:  "VPN access & setup",
				Format: "html",
				Chunks: []Piece{
					{Heading: "", Text: "The VPN lets you reach internal systems from home — it is required for the HR portal."},
					{Heading: "Installing the client", Text: "1. Download the client from the IT portal (https://it.example.com/vpn).\n2. Sign in with your Acme account."},
					{Heading: "Installing the client > On Linux", Text: "```\nsudo apt install acme-vpn\nacme-vpn connect\n```"},
					{Heading: "Troubleshooting", Text: "If the connection drops, restart the client.\nStill stuck? Email the IT desk (it@example.com)."},
				},
			},
		},
		{
			path: "testdata/handbook/welcome.txt",
			want: Parsed{
				Title:  "Welcome to Acme",
				Format: "text",
				Chunks: []Piece{{Heading: "", Text: "Welcome to Acme\n\n" +
					"We are glad you are here. This handbook answers the questions new employees ask most often, from leave to laptops.\n\n" +
					"Start with:\n- the leave pages\n- the IT pages"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := Parse(tt.path, readFixture(t, tt.path), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%s) =\n%#v\nwant\n%#v", tt.path, got, tt.want)
			}
		})
	}
}

func TestParseHTMLDropsPageFurniture(t *testing.T) {
	const path = "testdata/handbook/it/vpn.html"
	got, err := Parse(path, readFixture(t, path), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, c := range got.Chunks {
		all.WriteString(c.Heading + "\n" + c.Text + "\n")
	}
	for _, noise := range []string{"tracking", "font-family", "Acme Intranet", "Home", "noise", "Enable JavaScript", "Search", "coffee", "Acme Corp", "&amp;", "&mdash;"} {
		if strings.Contains(all.String(), noise) {
			t.Errorf("chunks contain %q:\n%s", noise, all.String())
		}
	}
}

func TestParseMarkdownOutline(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		src   string
		title string
		want  []Piece
	}{
		{
			name:  "single H1 is the title, not part of the path",
			file:  "leave.md",
			src:   "# Leave\n\nIntro.\n\n## Parental leave\n\nSixteen weeks.\n\n### Adoption\n\nThe same.\n\n## Sick leave\n\nCall in.\n",
			title: "Leave",
			want: []Piece{
				{"", "Intro."},
				{"Parental leave", "Sixteen weeks."},
				{"Parental leave > Adoption", "The same."},
				{"Sick leave", "Call in."},
			},
		},
		{
			name:  "several H1s stay in the path",
			file:  "handbook.md",
			src:   "# Leave\n## Parental\nP.\n# Expenses\n## Travel\nT.\n",
			title: "Leave",
			want:  []Piece{{"Leave > Parental", "P."}, {"Expenses > Travel", "T."}},
		},
		{
			name:  "no H1 takes the title from the file name",
			file:  "docs/parental-leave.md",
			src:   "Before any heading.\n\n## Who\n\nEveryone.\n",
			title: "Parental leave",
			want:  []Piece{{"", "Before any heading."}, {"Who", "Everyone."}},
		},
		{
			name:  "fenced code keeps its fences, and its hash lines are not headings",
			file:  "code.md",
			src:   "# Title\n\n## Setup\n\n```\n# not a heading\nrun it\n```\n\n~~~\n## nor this\n~~~\n",
			title: "Title",
			want:  []Piece{{"Setup", "```\n# not a heading\nrun it\n```\n\n```\n## nor this\n```"}},
		},
		{
			name:  "skipped levels and empty sections",
			file:  "levels.md",
			src:   "# T\n\n## Empty\n\n#### Deep\n\nText.\n\n## Also empty\n",
			title: "T",
			want:  []Piece{{"Empty > Deep", "Text."}},
		},
		{
			name:  "heading markup is reduced to text",
			file:  "markup.md",
			src:   "# The *real* title\n\n## See [the FAQ](faq.md) `now`\n\nBody.\n",
			title: "The real title",
			want:  []Piece{{"See the FAQ now", "Body."}},
		},
		{
			name:  "setext headings open sections too",
			file:  "setext.md",
			src:   "Title\n=====\n\nPart\n----\n\nBody.\n",
			title: "Title",
			want:  []Piece{{"Part", "Body."}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.file, []byte(tt.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != tt.title {
				t.Errorf("Title = %q, want %q", got.Title, tt.title)
			}
			if !reflect.DeepEqual(got.Chunks, tt.want) {
				t.Errorf("Chunks = %q\nwant %q", got.Chunks, tt.want)
			}
		})
	}
}

func TestParseMarkdownText(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"emphasis and code spans", "Use **bold**, _italic_ and `go test`.", "Use bold, italic and go test."},
		{"relative link keeps its text only", "See [the policy](../policy.md).", "See the policy."},
		{"absolute link shows its URL", "See [the law](https://law.example/leave).", "See the law (https://law.example/leave)."},
		{"link whose text is its URL", "Go to [https://a.example](https://a.example).", "Go to https://a.example."},
		{"mail link shows the address", "Ask [HR](mailto:hr@example.com).", "Ask HR (hr@example.com)."},
		{"bare and angle links", "Visit https://x.example or <https://y.example>.", "Visit https://x.example or https://y.example."},
		{"images are dropped", "Before ![a chart](chart.png) after.", "Before after."},
		{"image links are dropped", "[![build](https://ci.example/badge.svg)](https://ci.example) Docs.", "Docs."},
		{"HTML comments are dropped", "<!-- hidden -->\n\nShown <!-- inline --> text.", "Shown text."},
		{"escapes and entities", `Price \*not\* 5 &amp; 6 &#169; &copy;`, "Price *not* 5 & 6 © ©"},
		{"soft breaks become spaces", "one\ntwo\n   three", "one two three"},
		{"hard breaks stay", "line one  \nline two", "line one\nline two"},
		{"bullet list", "* a\n* b\n+ c", "- a\n- b\n\n- c"},
		{"ordered list keeps its numbers", "3. third\n4. fourth", "3. third\n4. fourth"},
		{"nested list is indented", "- a\n  - b\n    - c\n- d", "- a\n  - b\n    - c\n- d"},
		{"item with two paragraphs", "- first\n\n  more of it\n- second", "- first\n  more of it\n- second"},
		{"task list", "- [x] done\n- [ ] open", "- [x] done\n- [ ] open"},
		{"block quote", "> Quoted *words*.", "Quoted words."},
		{"table rows", "| A | B |\n|---|---|\n| 1 | 2 |", "A | B\n1 | 2"},
		{"indented code is fenced", "Text:\n\n    x := 1\n      y := 2", "Text:\n\n```\nx := 1\n  y := 2\n```"},
		{"code of a list item is indented with it", "- Install it:\n\n  ```sh\n  brew install lore\n\n  lore version\n  ```\n- Done.", "- Install it:\n\n  ```\n  brew install lore\n\n  lore version\n  ```\n\n- Done."},
		{"a fence outlasts the backticks of the code", "````md\nWrite:\n```\ncode\n```\n````", "````\nWrite:\n```\ncode\n```\n````"},
		{"HTML block keeps its text", "<div class=\"note\">\n<p>Bring <b>ID</b>.</p>\n</div>", "Bring ID."},
		{"thematic break", "Above.\n\n***\n\nBelow.", "Above.\n\nBelow."},
		{"footnotes", "Submit receipts within 30 days.[^1] Claims over 500 need sign-off.[^note]\n\n[^1]: Older receipts are refused.\n[^note]: By your manager.\n\nMore text.",
			"Submit receipts within 30 days. Claims over 500 need sign-off.\n\nMore text.\n\nOlder receipts are refused.\n\nBy your manager."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("doc.md", []byte(tt.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Chunks) != 1 {
				t.Fatalf("got %d chunks %q, want 1", len(got.Chunks), got.Chunks)
			}
			if got.Chunks[0].Text != tt.want {
				t.Errorf("Text = %q, want %q", got.Chunks[0].Text, tt.want)
			}
		})
	}
}

func TestParseDeepNesting(t *testing.T) {
	// Lists nested past maxListIndent line up with the deepest indent.
	var md strings.Builder
	for i := range maxListIndent + 3 {
		md.WriteString(strings.Repeat("  ", i) + "- x\n")
	}
	got, err := Parse("deep.md", []byte(md.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(got.Chunks[0].Text, "\n")
	if len(lines) != maxListIndent+3 {
		t.Fatalf("got %d lines, want %d", len(lines), maxListIndent+3)
	}
	want := strings.Repeat("  ", maxListIndent) + "- x"
	if last := lines[len(lines)-1]; last != want {
		t.Errorf("deepest item = %q, want %q", last, want)
	}

	// HTML nested beyond what the parser accepts is an error naming the
	// file, not a silently empty document.
	deep := strings.Repeat("<div>", 600) + "text"
	if _, err := Parse("deep.html", []byte(deep), Options{}); err == nil || !strings.Contains(err.Error(), "deep.html") {
		t.Errorf("err = %v, want an error naming deep.html", err)
	}
}

func TestParseFrontMatter(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Parsed // Chunks are not compared
	}{
		{
			name: "tags as a comma-separated string",
			src:  "---\ntitle: Expenses\ntags: travel, meals , travel,\n---\nBody.",
			want: Parsed{Title: "Expenses", Tags: []string{"travel", "meals"}},
		},
		{
			name: "review_by date kept as written",
			src:  "---\nreview_by: 2025-01-31\nowner: Finance\n---\nBody.",
			want: Parsed{Title: "Doc", Owner: "Finance", ReviewBy: "2025-01-31"},
		},
		{
			name: "unknown keys and null values",
			src:  "---\nlayout: page\ntitle:\ntags: ~\nowner: null\n---\n# From H1\nBody.",
			want: Parsed{Title: "From H1"},
		},
		{
			name: "empty front matter",
			src:  "---\n---\nBody.",
			want: Parsed{Title: "Doc"},
		},
		{
			name: "closed by dots, with CRLF line ends",
			src:  "---\r\ntitle: Windows\r\n...\r\nBody.",
			want: Parsed{Title: "Windows"},
		},
		{
			name: "a dash line later in the file is not front matter",
			src:  "Body.\n\n---\ntitle: no\n---\n",
			want: Parsed{Title: "Doc"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("doc.md", []byte(tt.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Chunks) == 0 || !strings.HasPrefix(got.Chunks[0].Text, "Body.") {
				t.Errorf("front matter leaked into or hid the body: %q", got.Chunks)
			}
			got.Chunks = nil
			tt.want.Format = "markdown"
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseFrontMatterErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"syntax error", "---\ntitle: x\nowner: a\nc 2\nd: 3\n---\n", "policy.md: line 4: front matter: could not find expected ':'"},
		{"not closed", "---\ntitle: x\n\nBody.\n", "policy.md: line 1: front matter is not closed"},
		{"list instead of mapping", "---\n- a\n- b\n---\n", "policy.md: line 2: front matter: want key: value pairs"},
		{"title is a list", "---\nowner: me\ntitle: [a, b]\n---\n", "policy.md: line 3: front matter: title: want a single value"},
		{"tags is a mapping", "---\ntags:\n  a: 1\n---\n", "policy.md: line 3: front matter: tags: want a list or a comma-separated string"},
		{"nested tag list", "---\ntags:\n  - [a]\n---\n", "policy.md: line 3: front matter: tags: want a list of words"},
		{"repeated key", "---\ntitle: a\ntitle: b\n---\n", `policy.md: line 3: front matter: key "title" is repeated`},
		{"unclosed quote stays inside the front matter", "---\ntitle: \"open\n---\n", "policy.md: line 2: front matter:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("policy.md", []byte(tt.src), Options{})
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestParseHTML(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		src   string
		title string
		want  []Piece
	}{
		{
			name:  "title from the first h1 when there is no title element",
			file:  "page.html",
			src:   "<h1>Office  hours</h1><p>Nine to five.</p><h2>Holidays</h2><p>Closed.</p>",
			title: "Office hours",
			want:  []Piece{{"", "Nine to five."}, {"Holidays", "Closed."}},
		},
		{
			name:  "title from the file name",
			file:  "site/office-hours.htm",
			src:   "<p>Nine to five.</p>",
			title: "Office hours",
			want:  []Piece{{"", "Nine to five."}},
		},
		{
			name:  "h1 inside the page header is ignored",
			file:  "page.html",
			src:   "<header><h1>Intranet</h1></header><main><h1>Leave</h1><h2>Sick</h2><p>Call.</p></main>",
			title: "Leave",
			want:  []Piece{{"Sick", "Call."}},
		},
		{
			name: "blocks, lists, tables and entities",
			file: "page.html",
			src: "<title>T</title><div>One<div>Two &lt;b&gt;</div></div>" +
				"<ul><li>a<ul><li>b</li></ul></li><li><p>c</p><p>more c</p></li></ul>" +
				"<table><tr><th>Day</th><th>Hours</th></tr><tr><td>Mon</td><td>9&ndash;5</td></tr></table>",
			title: "T",
			want:  []Piece{{"", "One\n\nTwo <b>\n\n- a\n  - b\n- c\n  more c\n\nDay | Hours\nMon | 9–5"}},
		},
		{
			name:  "ordered list start and preformatted text, fenced",
			file:  "page.html",
			src:   "<ol start=\"4\"><li>four</li><li>five</li></ol><pre>  keep\n    spacing</pre>",
			title: "Page",
			want:  []Piece{{"", "4. four\n5. five\n\n```\n  keep\n    spacing\n```"}},
		},
		{
			name:  "relative links, images and links without text",
			file:  "page.html",
			src:   "<p>See <a href=\"/faq\">the FAQ</a> <img src=\"x.png\" alt=\"chart\"> and <a href=\"https://e.example\"><img src=\"logo.png\"></a>now.</p>",
			title: "Page",
			want:  []Piece{{"", "See the FAQ and now."}},
		},
		{
			name: "footnote numbers and back links",
			file: "page.html",
			src: "<p>Passes cost 20 a month<sup><a href=\"#fn1\">1</a></sup>. Wiki style<sup><a href=\"#cite_note-2\">[2]</a></sup> too" +
				"<a href=\"#fn3\" class=\"footnote-ref\"><sup>3</sup></a>. Area in m<sup>2</sup>; see <a href=\"#rules\">the rules</a> or <a href=\"https://e.example/1\">1</a>.</p>" +
				"<ol><li id=\"fn1\"><p>Prices exclude VAT. <a href=\"#fnref1\" class=\"footnote-back\">↩︎</a></p></li></ol>",
			title: "Page",
			want:  []Piece{{"", "Passes cost 20 a month. Wiki style too. Area in m2; see the rules or 1 (https://e.example/1).\n\n1. Prices exclude VAT."}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.file, []byte(tt.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != tt.title {
				t.Errorf("Title = %q, want %q", got.Title, tt.title)
			}
			if !reflect.DeepEqual(got.Chunks, tt.want) {
				t.Errorf("Chunks = %q\nwant %q", got.Chunks, tt.want)
			}
		})
	}
}

func TestParseText(t *testing.T) {
	long := strings.Repeat("word ", 20) // 100 characters: too long for a title
	tests := []struct {
		name  string
		src   string
		title string
		want  []string
	}{
		{"short first line is the title", "\n\n  Travel rules \n\nBook early.\n", "Travel rules", []string{"Travel rules\n\nBook early."}},
		{"long first line is not", long + "\n\nMore.", "Notes", []string{strings.TrimSpace(long) + "\n\nMore."}},
		{"wrapped lines rejoin, list items do not", "Rules\n\nBook\nearly and\ncheap:\n- trains\n2. buses", "Rules", []string{"Rules\n\nBook early and cheap:\n- trains\n2. buses"}},
		{"empty file", " \n\n", "Notes", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("notes.txt", []byte(tt.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != tt.title {
				t.Errorf("Title = %q, want %q", got.Title, tt.title)
			}
			var texts []string
			for _, c := range got.Chunks {
				if c.Heading != "" {
					t.Errorf("plain text chunk has heading %q", c.Heading)
				}
				texts = append(texts, c.Text)
			}
			if !reflect.DeepEqual(texts, tt.want) {
				t.Errorf("texts = %q, want %q", texts, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		file string
		data []byte
		want error
	}{
		{"NUL byte", "a.md", []byte("# Title\x00\x01"), ErrBinary},
		{"many control characters", "a.txt", []byte("ab\x01\x02\x03\x04cd"), ErrBinary},
		{"unsupported extension", "a.docx", []byte("PK"), ErrUnsupported},
		{"no extension", "README", []byte("text"), ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.file, tt.data, Options{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.file) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestParseRepairsText(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		want string
	}{
		{"invalid UTF-8 becomes U+FFFD", "menu.txt", "Caf\xe9 menu", "Caf\uFFFD menu"},
		{"invalid UTF-8 in Markdown", "menu.md", "# Menu\n\nCaf\xe9\xff open", "Caf\uFFFD open"},
		{"byte order mark and stray control byte", "bom.md", "\uFEFF---\ntitle: BOM\n---\nBell\a here", "Bell here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.file, []byte(tt.data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Chunks) != 1 || got.Chunks[0].Text != tt.want {
				t.Fatalf("Chunks = %q, want one with %q", got.Chunks, tt.want)
			}
			if !utf8.ValidString(got.Title) {
				t.Errorf("title %q is not valid UTF-8", got.Title)
			}
		})
	}
}

func TestIsBinary(t *testing.T) {
	pad := strings.Repeat("x", sniffLen)
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"empty", "", false},
		{"text with tabs and line ends", "a\tb\r\nc\f", false},
		{"one stray control byte", "Bell \a in a long enough line of ordinary text", false},
		{"NUL", "abc\x00", true},
		{"PNG header", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", true},
		{"control-heavy", "\x01\x02\x03abcdefg", true},
		{"NUL after the first 8 KiB is not looked at", pad + "\x00", false},
		{"Latin-1 bytes are text", "caf\xe9 cr\xe8me", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isBinary([]byte(tt.data)); got != tt.want {
				t.Errorf("isBinary = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTitleFromName(t *testing.T) {
	tests := []struct{ name, want string }{
		{"parental-leave.md", "Parental leave"},
		{"docs/VPN_setup.html", "VPN setup"},
		{"a--b__c.txt", "A b c"},
		{"équipe.md", "Équipe"},
		{"2024.notes.txt", "2024 notes"},
		{"-.md", "Untitled"},
	}
	for _, tt := range tests {
		if got := titleFromName(tt.name); got != tt.want {
			t.Errorf("titleFromName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSupported(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"a.md", true}, {"a.MARKDOWN", true}, {"a.txt", true}, {"a.text", true},
		{"a.html", true}, {"a.HTM", true}, {"a.pdf", true}, {"a.docx", false}, {"a.md.bak", false},
		{"README", false}, {"dir.md/file", false},
	}
	for _, tt := range tests {
		if got := Supported(tt.name); got != tt.want {
			t.Errorf("Supported(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
