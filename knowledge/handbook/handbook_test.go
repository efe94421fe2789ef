package handbook

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

const (
	minDocs     = 28
	minWords    = 250
	maxWords    = 700
	minSections = 2
	maxSections = 5
	// Paragraphs shorter than this many words (list items such as
	// "- Good Friday", table separators) may legitimately repeat.
	minSharedParagraphWords = 6
)

type doc struct {
	name  string // file name, e.g. "parental-leave.md"
	title string
	tags  []string
	owner string
	// reviewBy is the raw review_by value.
	reviewBy string
	body     string // everything after the front matter
}

var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// parseDoc splits a document into its front matter fields and body. It
// understands the small subset of YAML the handbook uses: "key: value"
// lines, and lists either inline ("[a, b]") or as "  - item" lines.
func parseDoc(t *testing.T, name, text string) doc {
	t.Helper()
	d := doc{name: name}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if !strings.HasPrefix(text, "---\n") {
		t.Errorf("%s: does not start with front matter", name)
		return d
	}
	front, body, ok := strings.Cut(text[len("---\n"):], "\n---\n")
	if !ok {
		t.Errorf("%s: front matter is not closed", name)
		return d
	}
	d.body = body
	var listKey string
	for _, line := range strings.Split(front, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if item, ok := strings.CutPrefix(strings.TrimSpace(line), "- "); ok && listKey != "" {
			if listKey == "tags" {
				d.tags = append(d.tags, unquote(item))
			}
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Errorf("%s: bad front matter line %q", name, line)
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		listKey = ""
		switch key {
		case "title":
			d.title = unquote(value)
		case "owner":
			d.owner = unquote(value)
		case "review_by":
			d.reviewBy = unquote(value)
		case "tags":
			if value == "" {
				listKey = key
			} else if inner, ok := strings.CutPrefix(value, "["); ok {
				for _, tag := range strings.Split(strings.TrimSuffix(inner, "]"), ",") {
					if tag = unquote(strings.TrimSpace(tag)); tag != "" {
						d.tags = append(d.tags, tag)
					}
				}
			} else {
				t.Errorf("%s: tags must be a list", name)
			}
		}
	}
	return d
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

func loadDocs(t *testing.T) map[string]doc {
	t.Helper()
	names, err := fs.Glob(Docs, "docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	docs := make(map[string]doc, len(names))
	for _, p := range names {
		b, err := fs.ReadFile(Docs, p)
		if err != nil {
			t.Fatal(err)
		}
		docs[path.Base(p)] = parseDoc(t, path.Base(p), string(b))
	}
	return docs
}

// words counts runs of letters and digits, so Markdown markup such as
// "##", "-" and "|" does not count.
func words(s string) int {
	return len(strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}))
}

func TestDocCount(t *testing.T) {
	if n := len(loadDocs(t)); n < minDocs {
		t.Errorf("got %d documents, want at least %d", n, minDocs)
	}
}

func TestFrontMatter(t *testing.T) {
	for name, d := range loadDocs(t) {
		if d.title == "" {
			t.Errorf("%s: missing title", name)
		}
		if len(d.tags) == 0 {
			t.Errorf("%s: missing tags", name)
		}
		if d.owner == "" {
			t.Errorf("%s: missing owner", name)
		}
		if !datePattern.MatchString(d.reviewBy) {
			t.Errorf("%s: review_by %q is not a YYYY-MM-DD date", name, d.reviewBy)
		}
	}
}

func TestStructure(t *testing.T) {
	for name, d := range loadDocs(t) {
		var h1 []string
		sections := 0
		inFence := false
		for _, line := range strings.Split(d.body, "\n") {
			if strings.HasPrefix(line, "```") {
				inFence = !inFence
			}
			if inFence {
				continue
			}
			switch {
			case strings.HasPrefix(line, "# "):
				h1 = append(h1, strings.TrimSpace(line[2:]))
			case strings.HasPrefix(line, "## "):
				sections++
			}
		}
		if len(h1) != 1 || h1[0] != d.title {
			t.Errorf("%s: H1 headings %q, want exactly one equal to title %q", name, h1, d.title)
		}
		if first := firstBlock(d.body); !strings.HasPrefix(first, "# ") {
			t.Errorf("%s: body should open with the H1, got %q", name, first)
		}
		if sections < minSections || sections > maxSections {
			t.Errorf("%s: %d ## sections, want %d to %d", name, sections, minSections, maxSections)
		}
		if n := words(d.body); n < minWords || n > maxWords {
			t.Errorf("%s: %d words, want %d to %d", name, n, minWords, maxWords)
		}
	}
}

func firstBlock(body string) string {
	if ps := paragraphs(body); len(ps) > 0 {
		return ps[0]
	}
	return ""
}

// paragraphs splits Markdown into blank-line separated blocks, with
// whitespace collapsed.
func paragraphs(body string) []string {
	var out []string
	for _, block := range strings.Split(body, "\n\n") {
		if p := strings.Join(strings.Fields(block), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func TestNoSharedParagraphs(t *testing.T) {
	docs := loadDocs(t)
	seen := map[string]string{} // normalised paragraph -> document
	for name, d := range docs {
		for _, p := range paragraphs(d.body) {
			if strings.HasPrefix(p, "#") || words(p) < minSharedParagraphWords {
				continue
			}
			key := strings.ToLower(p)
			if other, ok := seen[key]; ok && other != name {
				t.Errorf("%s and %s share a paragraph: %q", other, name, p)
			}
			seen[key] = name
		}
	}
}

func TestTitlesUnique(t *testing.T) {
	seen := map[string]string{}
	for name, d := range loadDocs(t) {
		if other, ok := seen[d.title]; ok {
			t.Errorf("%s and %s share the title %q", other, name, d.title)
		}
		seen[d.title] = name
	}
}

func TestQuestions(t *testing.T) {
	docs := loadDocs(t)
	qs, err := Questions()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 14 {
		t.Errorf("got %d questions, want at least 14", len(qs))
	}
	for _, q := range qs {
		if strings.TrimSpace(q.Question) == "" || len(q.Docs) == 0 || len(q.Expect) == 0 {
			t.Errorf("incomplete question %+v", q)
			continue
		}
		var texts []string
		for _, name := range q.Docs {
			d, ok := docs[name]
			if !ok {
				t.Errorf("%q: document %q does not exist", q.Question, name)
				continue
			}
			texts = append(texts, strings.ToLower(d.body))
		}
		for _, want := range q.Expect {
			found := false
			for _, text := range texts {
				if strings.Contains(text, strings.ToLower(want)) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%q: none of %v contains %q", q.Question, q.Docs, want)
			}
		}
	}
}

func TestUnanswerable(t *testing.T) {
	qs, err := Unanswerable()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 6 {
		t.Errorf("got %d unanswerable questions, want at least 6", len(qs))
	}
	for _, q := range qs {
		if strings.TrimSpace(q) == "" {
			t.Error("empty unanswerable question")
		}
	}
}

func TestOffTopic(t *testing.T) {
	qs, err := OffTopic()
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) < 40 {
		t.Errorf("got %d off-topic questions, want at least 40", len(qs))
	}
	calibration, err := Unanswerable()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, q := range calibration {
		seen[q] = true
	}
	for _, q := range qs {
		switch {
		case strings.TrimSpace(q) == "":
			t.Error("empty off-topic question")
		case seen[q]:
			t.Errorf("%q is twice among the unanswerable and off-topic questions", q)
		}
		seen[q] = true
	}
}
