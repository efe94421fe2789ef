package shell

import (
	"bufio"
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/lorehq/lore/bot"
)

func TestPrintReply(t *testing.T) {
	t.Parallel()
	full := bot.Reply{
		Text: "Deploys run from **CI** [1].\n\n- step one\n",
		Citations: []bot.Citation{
			{N: 1, Title: "Runbook", Heading: "Deploys", Source: "docs/runbook.md"},
			{N: 2, DocID: "doc-9", Source: "https://wiki.example/x"},
			{Source: "notes.md"},
		},
		Buttons: []bot.Button{
			{ID: bot.ActionHelpful, Label: "👍 Helpful"},
			{ID: bot.ActionNotHelpful, Label: "👎 Not helpful"},
			{ID: bot.ActionAskPerson, Label: "Ask a person"},
		},
	}
	tests := []struct {
		name  string
		reply bot.Reply
		color bool
		want  string
	}{
		{
			name:  "text, sources and buttons",
			reply: full,
			want: "Deploys run from **CI** [1].\n\n- step one\n\n" +
				"Sources:\n" +
				"  [1] Runbook › Deploys — docs/runbook.md\n" +
				"  [2] doc-9 — https://wiki.example/x\n" +
				"  [3] notes.md\n" +
				"[1] 👍 Helpful  [2] 👎 Not helpful  [3] Ask a person  (/press N)\n",
		},
		{
			name:  "color bolds markdown and the sources label",
			reply: bot.Reply{Text: "use **make** and **go**", Citations: []bot.Citation{{N: 1, Title: "T"}}},
			color: true,
			want:  "use \x1b[1mmake\x1b[22m and \x1b[1mgo\x1b[22m\n\n\x1b[1mSources:\x1b[22m\n  [1] T\n",
		},
		{
			name:  "color does not let reply text style itself",
			reply: bot.Reply{Text: "\x1b[1m**x**"},
			color: true,
			want:  "\x1b[1mx\x1b[22m\n",
		},
		{
			name:  "color leaves code blocks as written",
			reply: bot.Reply{Text: "Call it **so**:\n```py\nf(**a, **b)\n```\n[1]"},
			color: true,
			want:  "Call it \x1b[1mso\x1b[22m:\n```py\nf(**a, **b)\n```\n[1]\n",
		},
		{
			name:  "text only",
			reply: bot.Reply{Text: "I don't know."},
			want:  "I don't know.\n",
		},
		{
			name:  "buttons only",
			reply: bot.Reply{Buttons: []bot.Button{{Label: "Retry"}}},
			want:  "[1] Retry  (/press N)\n",
		},
		{
			name:  "empty",
			reply: bot.Reply{},
			want:  "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			if err := printReply(&b, tt.reply, tt.color); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain text and emoji kept", "héllo 👍 **x**", "héllo 👍 **x**"},
		{"newline and tab kept", "a\n\tb", "a\n\tb"},
		{"SGR removed", "\x1b[1;31mred\x1b[0m", "red"},
		{"cursor movement removed", "a\x1b[2J\x1b[Hb", "ab"},
		{"private CSI removed", "a\x1b[?1049hb", "ab"},
		{"OSC with BEL removed", "a\x1b]0;title\x07b", "ab"},
		{"OSC hyperlink with ST removed", "\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"unterminated OSC loses only ESC", "a\x1b]0;title", "a]0;title"},
		{"DCS removed", "a\x1bPq#0\x1b\\b", "ab"},
		{"charset selection removed", "a\x1b(Bb", "ab"},
		{"reset removed", "a\x1bcb", "ab"},
		{"lone ESC removed", "a\x1b", "a"},
		{"malformed CSI loses only ESC", "a\x1b[3\x01m", "a[3m"},
		{"C0 controls removed", "a\rb\x00c\x07d\x08e\x7f", "abcde"},
		{"C1 controls removed", "a\u009b2Jb\u0085c", "a2Jbc"},
		{"invalid UTF-8 replaced", "a\x9b2Jb", "a\uFFFD2Jb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := sanitize(tt.in); got != tt.want {
				t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLineSplitter(t *testing.T) {
	t.Parallel()
	const tooLong = "<dropped>"
	tests := []struct {
		name, in string
		want     []string
	}{
		{"short lines", "ab\ncd\n", []string{"ab", "cd"}},
		{"limit with CRLF", "abcd\r\nx\n", []string{"abcd", "x"}},
		{"over the limit", "abcde\nx\n", []string{tooLong, "x"}},
		{"over the limit before CR", "abcde\r\nx", []string{tooLong, "x"}},
		{"far over the limit", strings.Repeat("z", 50) + "\nx\n", []string{tooLong, "x"}},
		{"over the limit at EOF", "x\nabcdefgh", []string{"x", tooLong}},
		{"limit at EOF", "x\nabcd", []string{"x", "abcd"}},
		{"empty lines kept", "\n\nx", []string{"", "", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			split := &lineSplitter{max: 4}
			sc := bufio.NewScanner(iotest.OneByteReader(strings.NewReader(tt.in)))
			sc.Buffer(make([]byte, 0, 2), split.max+2)
			sc.Split(split.split)
			var got []string
			for sc.Scan() {
				if split.takeDropped() {
					got = append(got, tooLong)
					continue
				}
				got = append(got, sc.Text())
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// fakeTerminal feeds keys to the line editor and collects what it draws.
type fakeTerminal struct {
	keys  io.Reader
	drawn bytes.Buffer
}

func (f *fakeTerminal) Read(p []byte) (int, error)  { return f.keys.Read(p) }
func (f *fakeTerminal) Write(p []byte) (int, error) { return f.drawn.Write(p) }

func TestTerminalHistory(t *testing.T) {
	t.Parallel()
	const up, down = "\x1b[A", "\x1b[B"
	tests := []struct {
		name, keys, want string
	}{
		{"up once is the newest line", up + "\r", "second"},
		{"up twice is the older line", up + up + "\r", "first"},
		{"up past the oldest stays there", up + up + up + "\r", "first"},
		{"down comes back", up + up + down + "\r", "second"},
		{"typed text is not history", "new\r", "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := &history{}
			h.remember("first")
			h.remember("second")
			ft := &fakeTerminal{keys: strings.NewReader(tt.keys)}
			term := newTerminal(ft, h)
			term.SetPrompt("alice@#general> ")
			got, err := term.ReadLine()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ReadLine = %q, want %q", got, tt.want)
			}
			if len(h.lines) != 2 {
				t.Errorf("line editor changed the history: %q", h.lines)
			}
			if !strings.Contains(ft.drawn.String(), "alice@#general> ") {
				t.Errorf("prompt not drawn: %q", ft.drawn.String())
			}
		})
	}
}
