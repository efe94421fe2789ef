package track

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lorehq/lore/nudges/samples"
)

const good = `---
title: Security basics
cadence: every 2 days
tags: [security]
---

## tip: Lock your screen {#lock}

Press the keys.

Link: handbook/device-policy.md

## quiz: Where do you report phishing?

- [ ] Reply
- [x] Report Phish
- [x] #sec-report

Explanation: Security sees it
with all headers.
Source: handbook/phishing.md

## reflection: Think
What would you do?
`

func TestParseGood(t *testing.T) {
	tr, err := Parse("tracks/security.md", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if tr.ID != "security" || tr.Title != "Security basics" || tr.Cadence.Days != 2 || len(tr.Cards) != 3 {
		t.Fatalf("track = %+v", tr)
	}
	tip, quiz, refl := tr.Cards[0], tr.Cards[1], tr.Cards[2]
	if tip.ID != "lock" || tip.Link != "handbook/device-policy.md" || tip.Text != "Press the keys." {
		t.Errorf("tip = %+v", tip)
	}
	if quiz.ID != "where-do-you-report-phishing" || len(quiz.Options) != 3 || !quiz.Multiple() ||
		quiz.Source != "handbook/phishing.md" || quiz.Explanation != "Security sees it\nwith all headers." {
		t.Errorf("quiz = %+v", quiz)
	}
	if refl.Kind != KindReflection || refl.Text != "What would you do?" {
		t.Errorf("reflection = %+v", refl)
	}
	for _, c := range []struct {
		chosen []int
		want   bool
	}{{[]int{1, 2}, true}, {[]int{2, 1}, true}, {[]int{1}, false}, {[]int{0, 1, 2}, false}} {
		if got, err := quiz.Grade(c.chosen); err != nil || got != c.want {
			t.Errorf("Grade(%v) = %v, %v; want %v", c.chosen, got, err, c.want)
		}
	}
	if _, err := quiz.Grade([]int{7}); err == nil {
		t.Error("Grade of a missing option: no error")
	}
}

func TestParseReportsEveryProblemWithItsLine(t *testing.T) {
	src := `---
title: Broken
cadence: hourly
---

## quiz: No right answer
- [ ] a
- [ ] b
Explanation: none is right

## quiz: One option {#one}
- [x] a
Explanation: x

## tip: Too long
` + strings.Repeat("word ", 300) + `

## poem: Roses
red

## quiz: dup {#one}
- [x] a
- [ ] b
Explanation: e
`
	_, err := Parse("broken.md", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`broken.md:3: front matter: cadence "hourly"`,
		`broken.md:6: quiz "No right answer" has no correct option`,
		`broken.md:11: quiz "One option" has 1 options`,
		`broken.md:15: tip "Too long" is 1499 characters`,
		`broken.md:18: unknown card kind "poem"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	var le *LineError
	if !errors.As(err, &le) {
		t.Errorf("error %T is not a LineError", err)
	}
}

func TestParseBadFiles(t *testing.T) {
	for name, src := range map[string]string{
		"no front matter": "## tip: a\nb\n",
		"unclosed":        "---\ntitle: a\n",
		"bad yaml":        "---\ntitle: [a\n---\n## tip: a\nb\n",
		"no cards":        "---\ntitle: a\n---\nintro\n",
		"invalid utf-8":   "---\ntitle: \xff\n---\n",
		"bad heading":     "---\ntitle: a\n---\n## tip\nb\n",
		"no explanation":  "---\ntitle: a\n---\n## quiz: q\n- [x] a\n- [ ] b\n",
		"bad audience":    "---\ntitle: a\naudience: new starters\n---\n## tip: a\nb\n",
		"seven options":   "---\ntitle: a\n---\n## quiz: q\n- [x] a\n- [ ] b\n- [ ] c\n- [ ] d\n- [ ] e\n- [ ] f\n- [ ] g\nExplanation: e\n",
		"binary":          "\x00\x01\x02---",
		"empty tip":       "---\ntitle: a\n---\n## tip: a\n",
		"bad track id":    "---\nid: Bad Id\ntitle: a\n---\n## tip: a\nb\n",
		"long card id":    "---\ntitle: a\n---\n## tip: a {#" + strings.Repeat("c", 65) + "}\nb\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse("f.md", []byte(src)); err == nil || !strings.HasPrefix(err.Error(), "f.md") {
				t.Errorf("error = %v, want one naming the file", err)
			}
		})
	}
}

func TestLoadFSFolderTrack(t *testing.T) {
	fsys := fstest.MapFS{
		"t/onboarding/track.md": {Data: []byte("---\ntitle: Onboarding\n---\n")},
		"t/onboarding/01.md":    {Data: []byte("## tip: Day one\nHello\n")},
		"t/onboarding/02.md":    {Data: []byte("\n## quiz: q\n- [ ] a\n- [ ] b\nExplanation: e\n")},
		"t/single.md":           {Data: []byte(good)},
	}
	_, err := LoadFS(fsys, "t")
	if err == nil || !strings.Contains(err.Error(), "t/onboarding/02.md:2: quiz \"q\" has no correct option") {
		t.Fatalf("error = %v, want the card file's own line", err)
	}
	fsys["t/onboarding/02.md"] = &fstest.MapFile{Data: []byte("## quiz: q\n- [x] a\n- [ ] b\nExplanation: e\n")}
	tracks, err := LoadFS(fsys, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(tracks) != 2 || tracks[1].ID != "onboarding" || len(tracks[1].Cards) != 2 || tracks[1].Cards[1].ID != "q" {
		t.Fatalf("tracks = %+v", tracks)
	}
}

func TestHashChangesWithContentOnly(t *testing.T) {
	a, _ := Parse("a.md", []byte(good))
	b, _ := Parse("a.md", []byte(good))
	if a.Hash() != b.Hash() {
		t.Error("same content, different hashes")
	}
	c, _ := Parse("a.md", []byte(strings.Replace(good, "Press the keys.", "Press Ctrl+L.", 1)))
	if a.Hash() == c.Hash() {
		t.Error("changed content, same hash")
	}
	if a.Cards[1].Fingerprint() != c.Cards[1].Fingerprint() {
		t.Error("quiz fingerprint changed though the quiz did not")
	}
}

func TestSampleTracksParse(t *testing.T) {
	tracks, err := LoadFS(samples.Tracks, "tracks")
	if err != nil {
		t.Fatal(err)
	}
	if len(tracks) < 2 {
		t.Fatalf("%d sample tracks", len(tracks))
	}
}

func TestParseAudience(t *testing.T) {
	tr, err := Parse("hr.md", []byte("---\ntitle: Payroll basics\naudience: group:hr channel:slack/T1/CHR\n---\n## tip: a\nb\n"))
	if err != nil || tr.Audience != "group:hr channel:slack/T1/CHR" {
		t.Fatalf("audience = %q, %v", tr.Audience, err)
	}
	_, err = Parse("bad.md", []byte("---\ntitle: a\naudience: group:hr role:boss\n---\n## tip: a\nb\n"))
	if err == nil || !strings.Contains(err.Error(), "bad.md:3: front matter: audience") || !strings.Contains(err.Error(), "role:boss") {
		t.Errorf("error = %v, want the audience's line and the bad entry", err)
	}
}

// A misspelt front matter key is an error with its line, not ignored: a
// track whose "audiance" went unread would be open to everyone, and one
// whose "drafts: true" went unread would reach learners unapproved.
func TestParseRefusesUnknownFrontMatterKeys(t *testing.T) {
	src := `---
title: Payroll
audiance: "group:payroll"
drafts: true
cadence: weekly
---

## tip: Payslips {#payslips}
They come on the 25th.
`
	_, err := Parse("payroll.md", []byte(src))
	if err == nil {
		t.Fatal("a track with misspelt front matter keys loaded")
	}
	for _, want := range []string{
		`payroll.md:3: front matter: unknown key "audiance"; did you mean "audience"?`,
		`payroll.md:4: front matter: unknown key "drafts"; did you mean "draft"?`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q; want a line %q", err, want)
		}
	}
	src = strings.Replace(strings.Replace(src, "audiance", "owner", 1), "drafts: true\n", "", 1)
	_, err = Parse("payroll.md", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `payroll.md:3: front matter: unknown key "owner"; the keys are id, title, description, audience, cadence, tags and draft`) {
		t.Errorf("error = %v; want the unknown key and the known ones", err)
	}
}

// A file saved with a byte order mark (as some Windows editors do) is read
// like any other, rather than said to lack the front matter it has.
func TestParseFileWithByteOrderMark(t *testing.T) {
	tr, err := Parse("tracks/security.md", append([]byte("\ufeff"), good...))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Title != "Security basics" || len(tr.Cards) != 3 {
		t.Errorf("track = %+v", tr)
	}
}

// A tip's length is counted in characters, as its message says, so that a
// tip in a script of several bytes a character is held to the same length
// as one in English.
func TestTipLengthInCharacters(t *testing.T) {
	tip := func(text string) string {
		return "---\ntitle: 安全\n---\n\n## tip: 画面をロック {#lock}\n" + text + "\n"
	}
	// 1,000 characters, 3,000 bytes.
	if _, err := Parse("ja.md", []byte(tip(strings.Repeat("鍵", 1000)))); err != nil {
		t.Errorf("a tip of 1000 characters: %v", err)
	}
	_, err := Parse("ja.md", []byte(tip(strings.Repeat("鍵", 1300))))
	if err == nil || !strings.Contains(err.Error(), `ja.md:5: tip "画面をロック" is 1300 characters; keep a tip to 1200 or split it`) {
		t.Errorf("a tip of 1300 characters: %v", err)
	}
}

// A bad track id in the front matter is reported on its own line.
func TestBadTrackIDLine(t *testing.T) {
	src := "---\ntitle: T\ncadence: daily\nid: Not_An_ID\n---\n\n## tip: A\nB\n"
	_, err := Parse("t.md", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `t.md:4: track id "Not_An_ID"`) {
		t.Errorf("error = %v; want it on line 4", err)
	}
}

func TestLoadFSNamesTheFilesOfADuplicateID(t *testing.T) {
	card := "\n## tip: One {#one}\nA tip.\n"
	fsys := fstest.MapFS{
		"a.md":          {Data: []byte("---\nid: same\ntitle: A\n---\n" + card)},
		"b.md":          {Data: []byte("---\nid: same\ntitle: B\n---\n" + card)},
		"same/track.md": {Data: []byte("---\ntitle: C\n---\n" + card)},
	}
	_, err := LoadFS(fsys, ".")
	var dup *DuplicateIDError
	if !errors.As(err, &dup) {
		t.Fatalf("error %v, want a *DuplicateIDError", err)
	}
	if want := `track id "same" is used by a.md, b.md and same`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
