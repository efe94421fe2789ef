// Package track reads learning tracks: Markdown files with YAML front matter
// (title, description, audience, cadence, tags) followed by a sequence of
// cards, each introduced by a level-two heading naming its kind:
//
//	## tip: Lock your screen {#lock-screen}
//	## quiz: Where do you report a phishing email?
//	## reflection: What would you do differently?
//
// A tip is a short lesson (at most MaxTipLen bytes) with an optional
// "Link: PATH" line pointing at a knowledge document. A quiz lists 2 to 6
// options as a Markdown task list ("- [x]" marks a correct one; more than
// one makes it a multiple-answer quiz), then an "Explanation:" paragraph and
// a "Source:" line. A reflection is an open prompt.
//
// Every card has a stable id: the {#id} at the end of its heading, or else
// a slug of its title. Learners' progress is kept by card id, so a curator
// may reword, reorder or add cards without resetting anyone.
//
// Parse reports every problem of a file at once, each with its line number.
package track

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/knowledge/audience"
)

// Card kinds.
const (
	KindTip        = "tip"
	KindQuiz       = "quiz"
	KindReflection = "reflection"
)

// Limits on what a track may hold.
const (
	MaxTipLen    = 1200 // characters of a tip's text: a minute's read
	MinOptions   = 2
	MaxOptions   = 6
	MaxFileBytes = 1 << 20
)

// Track is a parsed learning track.
type Track struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Audience is who may follow the track, in the syntax of package
	// knowledge/audience; empty means everyone.
	Audience string   `json:"audience,omitempty"`
	Cadence  Cadence  `json:"cadence"`
	Tags     []string `json:"tags,omitempty"`
	Cards    []Card   `json:"cards"`
	// Draft tracks (generated review cards) are stored but reach nobody
	// until a curator approves them.
	Draft bool `json:"draft,omitempty"`
	// File is where LoadFS read the track (a file, or a track folder), for
	// messages; it is not part of the track's content.
	File string `json:"-"`
}

// Card is one step of a track.
type Card struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Title string `json:"title"`
	// Text is the tip's lesson, the quiz's question or the reflection's
	// prompt, as Markdown.
	Text        string   `json:"text,omitempty"`
	Link        string   `json:"link,omitempty"`
	Options     []Option `json:"options,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
	Source      string   `json:"source,omitempty"`
}

// Option is one answer of a quiz.
type Option struct {
	Text    string `json:"text"`
	Correct bool   `json:"correct,omitempty"`
}

// Multiple reports whether a quiz has more than one correct option.
func (c Card) Multiple() bool {
	n := 0
	for _, o := range c.Options {
		if o.Correct {
			n++
		}
	}
	return n > 1
}

// Grade reports whether the chosen options (0-based) are exactly the correct
// ones. An out-of-range choice is an error, not a wrong answer.
func (c Card) Grade(chosen []int) (bool, error) {
	if c.Kind != KindQuiz {
		return false, fmt.Errorf("card %s is a %s, not a quiz", c.ID, c.Kind)
	}
	if len(chosen) == 0 {
		return false, errors.New("no option chosen")
	}
	picked := make([]bool, len(c.Options))
	for _, i := range chosen {
		if i < 0 || i >= len(c.Options) {
			return false, fmt.Errorf("option %d does not exist: choose 1 to %d", i+1, len(c.Options))
		}
		picked[i] = true
	}
	for i, o := range c.Options {
		if o.Correct != picked[i] {
			return false, nil
		}
	}
	return true, nil
}

// Fingerprint identifies what a learner was asked: a quiz answered after its
// options changed must not be graded against the new ones.
func (c Card) Fingerprint() string {
	b, _ := json.Marshal(struct {
		T string
		O []Option
	}{c.Text + "\x00" + c.Title, c.Options})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// Card returns the card with the given id.
func (t Track) Card(id string) (Card, bool) {
	for _, c := range t.Cards {
		if c.ID == id {
			return c, true
		}
	}
	return Card{}, false
}

// Hash identifies the content of a track; loading an unchanged file again
// does not make a new version.
func (t Track) Hash() string {
	b, _ := json.Marshal(t)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Cadence is how often a track brings a new card: every Days days (on
// working days only).
type Cadence struct {
	Days int `json:"days"`
}

// ParseCadence reads "daily", "weekly" or "every N days".
func ParseCadence(s string) (Cadence, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", "daily":
		return Cadence{Days: 1}, nil
	case "weekly":
		return Cadence{Days: 7}, nil
	}
	if rest, ok := strings.CutPrefix(s, "every "); ok {
		rest = strings.TrimSuffix(strings.TrimSuffix(rest, "days"), "day")
		n, err := strconv.Atoi(strings.TrimSpace(rest))
		if err == nil && n >= 1 && n <= 30 {
			return Cadence{Days: n}, nil
		}
	}
	return Cadence{}, fmt.Errorf("cadence %q: use daily, weekly or every N days (N from 1 to 30)", s)
}

// String is the cadence as a curator writes it.
func (c Cadence) String() string {
	switch c.Days {
	case 1:
		return "daily"
	case 7:
		return "weekly"
	}
	return fmt.Sprintf("every %d days", c.Days)
}

// LineError is one problem in a track file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

var (
	headingRE = regexp.MustCompile(`^##\s+(\w+)\s*:\s*(.*?)\s*$`)
	anchorRE  = regexp.MustCompile(`\s*\{#([a-z0-9][a-z0-9-]*)\}\s*$`)
	optionRE  = regexp.MustCompile(`^\s*[-*]\s+\[([ xX])\]\s+(.*?)\s*$`)
	idRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
)

// Parse reads one track file. name is used in messages and, without its
// extension, as the track id when the front matter has none. The error, if
// any, joins one *LineError per problem.
func Parse(name string, src []byte) (Track, error) {
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &LineError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if len(src) > MaxFileBytes {
		fail(0, "file is %d bytes; a track file may have at most %d", len(src), MaxFileBytes)
		return Track{}, errors.Join(errs...)
	}
	if strings.IndexByte(string(src), 0) >= 0 {
		fail(0, "file is binary, not a Markdown track")
		return Track{}, errors.Join(errs...)
	}
	if !utf8.Valid(src) {
		fail(0, "file is not valid UTF-8 text")
		return Track{}, errors.Join(errs...)
	}
	// Some editors start a UTF-8 file with a byte order mark.
	text := strings.TrimPrefix(strings.ReplaceAll(string(src), "\r\n", "\n"), "\ufeff")
	lines := strings.Split(text, "\n")

	t := Track{}
	bodyStart, idLine := 0, 0
	if len(lines) > 0 && strings.TrimSpace(lines[0]) == "---" {
		end := -1
		for i := 1; i < len(lines); i++ {
			if s := strings.TrimSpace(lines[i]); s == "---" || s == "..." {
				end = i
				break
			}
		}
		if end < 0 {
			fail(1, "front matter is not closed by a --- line")
			return Track{}, errors.Join(errs...)
		}
		idLine = parseFrontMatter(&t, strings.Join(lines[1:end], "\n"), fail)
		bodyStart = end + 1
	} else {
		fail(1, "a track starts with front matter between --- lines (title, description, audience, cadence, tags)")
	}
	if t.ID == "" {
		t.ID = Slug(strings.TrimSuffix(path.Base(name), path.Ext(name)))
	}
	if !idRE.MatchString(t.ID) {
		if idLine == 0 {
			fail(0, "track id %q, from the file name: use lower-case letters, digits and dashes, or set id in the front matter", t.ID)
		} else {
			fail(idLine, "track id %q: use lower-case letters, digits and dashes", t.ID)
		}
	}
	if t.Title == "" {
		fail(1, "front matter has no title")
	}

	// Split the body into cards at level-two headings.
	type block struct {
		line  int
		kind  string
		title string
		body  []string
	}
	var blocks []block
	for i := bodyStart; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "## ") {
			m := headingRE.FindStringSubmatch(l)
			if m == nil {
				fail(i+1, "card heading %q: write ## tip: TITLE, ## quiz: QUESTION or ## reflection: PROMPT", strings.TrimSpace(l))
				blocks = append(blocks, block{line: i + 1, kind: "?"})
				continue
			}
			blocks = append(blocks, block{line: i + 1, kind: strings.ToLower(m[1]), title: m[2]})
			continue
		}
		if len(blocks) == 0 {
			if s := strings.TrimSpace(l); s != "" && !strings.HasPrefix(s, "# ") {
				// Prose before the first card is an introduction; keep
				// it as the description when there is none.
				if t.Description == "" {
					t.Description = s
				}
			}
			continue
		}
		blocks[len(blocks)-1].body = append(blocks[len(blocks)-1].body, l)
	}
	if len(blocks) == 0 {
		fail(0, "the track has no cards: add ## tip:, ## quiz: or ## reflection: sections")
	}
	seen := map[string]int{}
	for _, b := range blocks {
		if b.kind == "?" {
			continue
		}
		c, ok := parseCard(b.line, b.kind, b.title, b.body, fail)
		if !ok {
			continue
		}
		if first, dup := seen[c.ID]; dup {
			fail(b.line, "card id %q is also used on line %d; add {#another-id} to one heading", c.ID, first)
			continue
		}
		seen[c.ID] = b.line
		t.Cards = append(t.Cards, c)
	}
	if len(errs) > 0 {
		return Track{}, errors.Join(errs...)
	}
	return t, nil
}

// frontMatterKeys are the keys a track's front matter may have, in the
// order messages list them.
var frontMatterKeys = []string{"id", "title", "description", "audience", "cadence", "tags", "draft"}

// parseFrontMatter fills t from the front matter text, which starts on the
// file's second line, and returns the file line of its id key, 0 when it
// has none.
func parseFrontMatter(t *Track, text string, fail func(int, string, ...any)) (idLine int) {
	var fm struct {
		ID          string   `yaml:"id"`
		Title       string   `yaml:"title"`
		Description string   `yaml:"description"`
		Audience    string   `yaml:"audience"`
		Cadence     string   `yaml:"cadence"`
		Tags        []string `yaml:"tags"`
		Draft       bool     `yaml:"draft"`
	}
	if err := yaml.Unmarshal([]byte(text), &fm); err != nil {
		line := 1
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := regexp.MustCompile(`line (\d+): (.*)`).FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			line, msg = n, m[2]
		}
		fail(line+1, "front matter: %s", msg)
		return 0
	}
	// An unknown key is most likely a misspelt one, and a misspelt
	// audience or draft would open the track to everyone.
	var doc yaml.Node
	if yaml.Unmarshal([]byte(text), &doc) == nil && len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			switch {
			case k.Value == "id":
				idLine = k.Line + 1
			case !slices.Contains(frontMatterKeys, k.Value):
				fail(k.Line+1, "front matter: unknown key %q; %s", k.Value, knownKeyHint(k.Value))
			}
		}
	}
	t.ID, t.Title, t.Description, t.Audience, t.Tags, t.Draft = strings.TrimSpace(fm.ID), strings.TrimSpace(fm.Title),
		strings.TrimSpace(fm.Description), strings.TrimSpace(fm.Audience), fm.Tags, fm.Draft
	if _, err := audience.Parse(t.Audience); err != nil {
		fail(lineOf(text, "audience")+1, "front matter: %v", err)
	}
	c, err := ParseCadence(fm.Cadence)
	if err != nil {
		fail(lineOf(text, "cadence")+1, "front matter: %v", err)
	}
	t.Cadence = c
	return idLine
}

// knownKeyHint names the front matter key closest to an unknown one, or
// lists them all when none is close.
func knownKeyHint(key string) string {
	best, bestD := "", 3
	for _, k := range frontMatterKeys {
		if d := analyze.EditDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	last := len(frontMatterKeys) - 1
	return "the keys are " + strings.Join(frontMatterKeys[:last], ", ") + " and " + frontMatterKeys[last]
}

// lineOf finds the 1-based line of a front matter key, for messages.
func lineOf(text, key string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), key+":") {
			return i + 1
		}
	}
	return 1
}

// maxCardID bounds a card id as idRE bounds a track id: learners' progress
// is kept by card id, so it must be an id every store keeps.
const maxCardID = 64

func parseCard(line int, kind, title string, body []string, fail func(int, string, ...any)) (Card, bool) {
	c := Card{Kind: kind}
	if m := anchorRE.FindStringSubmatchIndex(title); m != nil {
		c.ID = title[m[2]:m[3]]
		title = strings.TrimSpace(title[:m[0]])
	}
	c.Title = title
	if c.ID == "" {
		c.ID = Slug(title)
	}
	if title == "" {
		fail(line, "%s card has no title after the colon", kind)
		return c, false
	}
	if c.ID == "" {
		fail(line, "card %q needs an id: add {#some-id} to the heading", title)
		return c, false
	}
	if len(c.ID) > maxCardID {
		fail(line, "card id %.20q… is %d characters; at most %d", c.ID, len(c.ID), maxCardID)
		return c, false
	}
	ok := true
	bad := func(l int, format string, args ...any) { fail(l, format, args...); ok = false }

	var text, explanation []string
	inExplanation := false
	for i, l := range body {
		ln := line + 1 + i
		s := strings.TrimSpace(l)
		switch {
		case kind == KindTip && strings.HasPrefix(s, "Link:"):
			c.Link = strings.TrimSpace(strings.TrimPrefix(s, "Link:"))
		case kind == KindQuiz && optionRE.MatchString(l):
			m := optionRE.FindStringSubmatch(l)
			if m[2] == "" {
				bad(ln, "quiz option is empty")
			}
			c.Options = append(c.Options, Option{Text: m[2], Correct: m[1] != " "})
		case kind == KindQuiz && strings.HasPrefix(s, "Explanation:"):
			inExplanation = true
			explanation = append(explanation, strings.TrimSpace(strings.TrimPrefix(s, "Explanation:")))
		case kind == KindQuiz && strings.HasPrefix(s, "Source:"):
			c.Source = strings.TrimSpace(strings.TrimPrefix(s, "Source:"))
			inExplanation = false
		case inExplanation:
			explanation = append(explanation, l)
		default:
			text = append(text, l)
		}
	}
	c.Text = strings.TrimSpace(strings.Join(text, "\n"))
	c.Explanation = strings.TrimSpace(strings.Join(explanation, "\n"))

	switch kind {
	case KindTip:
		if c.Text == "" {
			bad(line, "tip %q has no text", title)
		}
		if n := utf8.RuneCountInString(c.Text); n > MaxTipLen {
			bad(line, "tip %q is %d characters; keep a tip to %d or split it", title, n, MaxTipLen)
		}
	case KindQuiz:
		switch n := len(c.Options); {
		case n < MinOptions:
			bad(line, "quiz %q has %d options; give %d to %d as \"- [ ] option\" lines, \"- [x]\" for correct ones", title, n, MinOptions, MaxOptions)
		case n > MaxOptions:
			bad(line, "quiz %q has %d options; at most %d fit on buttons", title, n, MaxOptions)
		}
		correct := 0
		for _, o := range c.Options {
			if o.Correct {
				correct++
			}
		}
		if correct == 0 && len(c.Options) > 0 {
			bad(line, "quiz %q has no correct option: mark the right ones \"- [x]\"", title)
		}
		if c.Explanation == "" {
			bad(line, "quiz %q has no \"Explanation:\" shown after answering", title)
		}
	case KindReflection:
	default:
		bad(line, "unknown card kind %q: use tip, quiz or reflection", kind)
	}
	return c, ok
}

// Slug makes an id from a title: lower-case letters and digits joined by
// dashes, at most 48 bytes.
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

// LoadFS reads every track under root in fsys: each *.md file is a track,
// except that a folder holding a track.md is one track whose cards continue
// in the folder's other *.md files, in name order. Problems of all files are
// reported together.
func LoadFS(fsys fs.FS, root string) ([]Track, error) {
	var (
		tracks []Track
		errs   []error
	)
	folders := map[string]bool{}
	var files []string
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if _, err := fs.Stat(fsys, path.Join(p, "track.md")); err == nil {
				folders[p] = true
			}
			return nil
		}
		if strings.EqualFold(path.Ext(p), ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	grouped := map[string][]string{}
	for _, f := range files {
		if dir := path.Dir(f); folders[dir] {
			grouped[dir] = append(grouped[dir], f)
			continue
		}
		src, err := fs.ReadFile(fsys, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t, err := Parse(f, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.File = f
		tracks = append(tracks, t)
	}
	dirs := make([]string, 0, len(grouped))
	for d := range grouped {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		t, err := parseFolder(fsys, dir, grouped[dir])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.File = dir
		tracks = append(tracks, t)
	}
	if len(tracks) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: no track files (*.md) found", root))
	}
	if err := CheckIDs(tracks); err != nil {
		errs = append(errs, err)
	}
	return tracks, errors.Join(errs...)
}

// DuplicateIDError is a track id that several files of one load use: the
// later would silently replace the earlier.
type DuplicateIDError struct {
	ID    string
	Files []string // in the order read
}

func (e *DuplicateIDError) Error() string {
	files := e.Files
	last := files[len(files)-1]
	if len(files) == 2 {
		return fmt.Sprintf("track id %q is used by both %s and %s", e.ID, files[0], last)
	}
	return fmt.Sprintf("track id %q is used by %s and %s", e.ID, strings.Join(files[:len(files)-1], ", "), last)
}

// CheckIDs reports every track id that more than one of tracks uses, as a
// *DuplicateIDError naming their files.
func CheckIDs(tracks []Track) error {
	files := map[string][]string{}
	var order []string
	for _, t := range tracks {
		if _, ok := files[t.ID]; !ok {
			order = append(order, t.ID)
		}
		files[t.ID] = append(files[t.ID], t.File)
	}
	var errs []error
	for _, id := range order {
		if len(files[id]) > 1 {
			errs = append(errs, &DuplicateIDError{ID: id, Files: files[id]})
		}
	}
	return errors.Join(errs...)
}

// parseFolder reads a track kept as a folder: track.md has the front matter
// (and maybe cards), the other files only cards.
func parseFolder(fsys fs.FS, dir string, files []string) (Track, error) {
	head, err := fs.ReadFile(fsys, path.Join(dir, "track.md"))
	if err != nil {
		return Track{}, err
	}
	t, err := Parse(path.Join(dir, "track.md"), appendPlaceholder(head))
	if err != nil {
		return Track{}, err
	}
	t.Cards = dropPlaceholder(t.Cards)
	if t.ID == "track" {
		t.ID = Slug(path.Base(dir))
	}
	var errs []error
	seen := map[string]bool{}
	for _, c := range t.Cards {
		seen[c.ID] = true
	}
	for _, f := range files {
		if path.Base(f) == "track.md" {
			continue
		}
		src, err := fs.ReadFile(fsys, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// A card file has no front matter of its own; borrow a minimal one
		// so that line numbers stay those of the file.
		part, err := Parse(f, append([]byte("---\ntitle: x\n---\n"), src...))
		if err != nil {
			errs = append(errs, shiftLines(err, -3))
			continue
		}
		for _, c := range part.Cards {
			if seen[c.ID] {
				errs = append(errs, &LineError{File: f, Msg: fmt.Sprintf("card id %q is used twice in track %s", c.ID, t.ID)})
				continue
			}
			seen[c.ID] = true
			t.Cards = append(t.Cards, c)
		}
	}
	if len(t.Cards) == 0 {
		errs = append(errs, &LineError{File: dir, Msg: "the track has no cards"})
	}
	return t, errors.Join(errs...)
}

const placeholderID = "zz-placeholder-card"

// appendPlaceholder lets a track.md with front matter only parse: the card
// is dropped again by dropPlaceholder.
func appendPlaceholder(src []byte) []byte {
	return append(append([]byte{}, src...), []byte("\n## reflection: placeholder {#"+placeholderID+"}\n")...)
}

func dropPlaceholder(cards []Card) []Card {
	out := cards[:0]
	for _, c := range cards {
		if c.ID != placeholderID {
			out = append(out, c)
		}
	}
	return out
}

// shiftLines moves the line numbers of LineErrors by delta.
func shiftLines(err error, delta int) error {
	var out []error
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var le *LineError
		if errors.As(e, &le) {
			c := *le
			if c.Line > 0 {
				c.Line += delta
			}
			out = append(out, &c)
			return
		}
		out = append(out, e)
	}
	walk(err)
	return errors.Join(out...)
}
