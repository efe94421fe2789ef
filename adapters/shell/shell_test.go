package shell

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
)

// fakeHandler records what reaches the core and answers with fixed replies.
type fakeHandler struct {
	mu          sync.Mutex
	msgs        []bot.Message
	actions     []bot.Action
	reply       bot.Reply // answer to every message
	actionReply bot.Reply // answer to every action
	received    chan bot.Message
}

func (h *fakeHandler) HandleMessage(_ context.Context, msg bot.Message) bot.Reply {
	h.mu.Lock()
	h.msgs = append(h.msgs, msg)
	h.mu.Unlock()
	if h.received != nil {
		h.received <- msg
	}
	return h.reply
}

func (h *fakeHandler) HandleAction(_ context.Context, a bot.Action) bot.Reply {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.actions = append(h.actions, a)
	return h.actionReply
}

func (h *fakeHandler) messages() []bot.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Message(nil), h.msgs...)
}

// run starts a shell for user alice in #general on input and returns what it
// printed.
func run(t *testing.T, h *fakeHandler, input string, edit func(*Config)) string {
	t.Helper()
	var out strings.Builder
	cfg := Config{In: strings.NewReader(input), Out: &out, Handler: h, User: "alice"}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Run(t.Context()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.String()
}

func msg(channel, user, text string, direct bool) bot.Message {
	return bot.Message{Platform: "shell", Channel: channel, User: user, Text: text, Direct: direct}
}

func TestRunMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		input    string
		want     []bot.Message
		wantOut  []string
		wantNone []string
	}{
		{
			name:    "plain lines, blank lines skipped",
			input:   "hello\n   \n\n  what is X?  \n",
			want:    []bot.Message{msg("general", "alice", "hello", false), msg("general", "alice", "what is X?", false)},
			wantOut: []string{banner, "alice@#general> "},
		},
		{
			name:  "CRLF and a last line without newline",
			input: "one\r\ntwo",
			want:  []bot.Message{msg("general", "alice", "one", false), msg("general", "alice", "two", false)},
		},
		{
			name:    "as switches user",
			input:   "/as bob\nhi\n",
			want:    []bot.Message{msg("general", "bob", "hi", false)},
			wantOut: []string{"Now speaking as bob.", "bob@#general> "},
		},
		{
			name:     "as refuses bad names",
			input:    "/as bob smith\n/as\nhi\n",
			want:     []bot.Message{msg("general", "alice", "hi", false)},
			wantOut:  []string{`"bob smith" contains a space`, "Usage: /as NAME"},
			wantNone: []string{"bob@"},
		},
		{
			name:    "dm toggles direct messages",
			input:   "/dm\nsecret\n/dm\nback\n",
			want:    []bot.Message{msg("dm", "alice", "secret", true), msg("general", "alice", "back", false)},
			wantOut: []string{"alice@dm> ", "Back in #general."},
		},
		{
			name:    "dm takes no argument",
			input:   "/dm bob\nhi\n",
			want:    []bot.Message{msg("general", "alice", "hi", false)},
			wantOut: []string{"Usage: /dm"},
		},
		{
			name:    "channel switches and leaves the direct message",
			input:   "/channel #random\nhi\n/dm\n/channel ops\nthere\n",
			want:    []bot.Message{msg("random", "alice", "hi", false), msg("ops", "alice", "there", false)},
			wantOut: []string{"Now in #random.", "alice@#random> ", "alice@#ops> "},
		},
		{
			name:    "channel refuses bad names",
			input:   "/channel\n/channel dm\n/channel a b\nhi\n",
			want:    []bot.Message{msg("general", "alice", "hi", false)},
			wantOut: []string{"Usage: /channel NAME", "use /dm", "contains a space"},
		},
		{
			name:    "double slash sends a line starting with a slash",
			input:   "//etc/hosts is what?\n",
			want:    []bot.Message{msg("general", "alice", "/etc/hosts is what?", false)},
			wantOut: nil,
		},
		{
			name:    "unknown command is not sent",
			input:   "/x\n/etc/hosts\n",
			want:    nil,
			wantOut: []string{`Unknown shell command "/x". Shell commands: ` + commandList, `Unknown shell command "/etc/hosts"`},
		},
		{
			name:    "help lists shell commands and is not sent",
			input:   "/help\n",
			want:    nil,
			wantOut: []string{"/as NAME", "/dm", "/channel NAME", "/press N", "/history", "exit, /quit", "type help (no slash)"},
		},
		{
			name:  "exit stops reading",
			input: "hi\nexit\nnot sent\n",
			want:  []bot.Message{msg("general", "alice", "hi", false)},
		},
		{
			name:  "quit stops reading",
			input: "hi\n/quit\nnot sent\n",
			want:  []bot.Message{msg("general", "alice", "hi", false)},
		},
		{
			name:    "history lists earlier lines only",
			input:   "first\n/dm\n/history\n",
			want:    []bot.Message{msg("general", "alice", "first", false)},
			wantOut: []string{"   1  first\n   2  /dm\n"},
		},
		{
			name:    "empty history",
			input:   "/history\n",
			wantOut: []string{"No history yet."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := &fakeHandler{}
			out := run(t, h, tt.input, nil)
			if got := h.messages(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("messages:\n got %#v\nwant %#v", got, tt.want)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestRunPress(t *testing.T) {
	t.Parallel()
	feedback := bot.Reply{
		Text: "Deploys run from CI [1].",
		Buttons: []bot.Button{
			{ID: bot.ActionHelpful, Label: "👍 Helpful", Value: "answer-7"},
			{ID: bot.ActionNotHelpful, Label: "👎 Not helpful", Value: "answer-7"},
			{ID: bot.ActionAskPerson, Label: "Ask a person", Value: "answer-7"},
		},
	}
	tests := []struct {
		name    string
		input   string
		want    []bot.Action
		wantOut []string
	}{
		{
			name:    "press sends the button as an action",
			input:   "how do deploys work?\n/press 2\n",
			want:    []bot.Action{{Platform: "shell", Channel: "general", User: "alice", ID: bot.ActionNotHelpful, Value: "answer-7"}},
			wantOut: []string{"[1] 👍 Helpful  [2] 👎 Not helpful  [3] Ask a person", "Thanks for the feedback."},
		},
		{
			name:  "press as another user in the place the reply was shown",
			input: "/dm\nhow do deploys work?\n/as bob\n/dm\n/press 3\n",
			want:  []bot.Action{{Platform: "shell", Channel: "dm", User: "bob", ID: bot.ActionAskPerson, Value: "answer-7"}},
		},
		{
			name:    "out of range",
			input:   "how do deploys work?\n/press 0\n/press 4\n",
			wantOut: []string{"There is no button 0; the last reply has buttons 1 to 3.", "There is no button 4;"},
		},
		{
			name:    "not a number",
			input:   "how do deploys work?\n/press one\n/press\n",
			wantOut: []string{"Usage: /press N"},
		},
		{
			name:    "nothing to press yet",
			input:   "/press 1\n",
			wantOut: []string{"The last reply has no buttons to press."},
		},
		{
			name:    "buttons belong to the last reply only",
			input:   "how do deploys work?\n/press 1\n/press 1\n",
			want:    []bot.Action{{Platform: "shell", Channel: "general", User: "alice", ID: bot.ActionHelpful, Value: "answer-7"}},
			wantOut: []string{"The last reply has no buttons to press."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := &fakeHandler{reply: feedback, actionReply: bot.Reply{Text: "Thanks for the feedback."}}
			out := run(t, h, tt.input, nil)
			if !reflect.DeepEqual(h.actions, tt.want) {
				t.Errorf("actions:\n got %#v\nwant %#v", h.actions, tt.want)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestRunStripsControlCharacters(t *testing.T) {
	t.Parallel()
	h := &fakeHandler{reply: bot.Reply{
		Text: "\x1b[31mred\x1b[0m \x1b]0;owned\x07title\r\x07bell \u009b2J c1 \x9b raw\x1bc",
		Citations: []bot.Citation{
			{N: 1, Title: "Run\x1b[2Jbook", Heading: "Step\n1", Source: "docs/\x1b]8;;http://x\x1b\\run.md"},
		},
		Buttons: []bot.Button{{ID: bot.ActionHelpful, Label: "\x1b[5mOK\x1b[0m"}},
	}}
	out := run(t, h, "hi\n", nil)
	for i, r := range out {
		if r == 0x1b || (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			t.Fatalf("control character %U at %d in output:\n%q", r, i, out)
		}
	}
	for _, w := range []string{"red titlebell 2J c1 \uFFFD raw", "[1] Runbook › Step 1 — docs/run.md", "[1] OK"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%q", w, out)
		}
	}
}

func TestRunLongLine(t *testing.T) {
	t.Parallel()
	longest := strings.Repeat("a", maxLineBytes)
	tests := []struct {
		name  string
		input string
		want  []string // texts reaching the core
		drops int      // "longer than" messages
	}{
		{"over the limit is dropped", longest + "a\nnext\n", []string{"next"}, 1},
		{"far over the limit", strings.Repeat("b", 3*maxLineBytes) + "\nnext\n", []string{"next"}, 1},
		{"over the limit at the end", "first\n" + longest + "aa", []string{"first"}, 1},
		{"at the limit is sent", longest + "\r\nnext\n", []string{longest, "next"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := &fakeHandler{}
			out := run(t, h, tt.input, nil)
			var got []string
			for _, m := range h.messages() {
				got = append(got, m.Text)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %d texts, want %d", len(got), len(tt.want))
			}
			if n := strings.Count(out, "longer than 1 MiB and was not sent"); n != tt.drops {
				t.Errorf("got %d dropped-line messages, want %d:\n%s", n, tt.drops, out)
			}
		})
	}
}

func TestRunEOF(t *testing.T) {
	t.Parallel()
	h := &fakeHandler{}
	out := run(t, h, "", nil)
	if want := banner + "\nalice@#general> \n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestRunContextCancel(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	h := &fakeHandler{received: make(chan bot.Message, 1)}
	s, err := New(Config{In: pr, Out: io.Discard, Handler: h, User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	if _, err := io.WriteString(pw, "hi\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-h.received:
		if m.Text != "hi" {
			t.Errorf("got %q, want hi", m.Text)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message never reached the handler")
	}
	// Run is now blocked reading the next line.
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRunCancelledBeforeStart(t *testing.T) {
	t.Parallel()
	h := &fakeHandler{}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := New(Config{In: strings.NewReader("hi\n"), Out: io.Discard, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx); err != nil {
		t.Errorf("Run: %v", err)
	}
	if n := len(h.messages()); n != 0 {
		t.Errorf("%d messages sent after cancel", n)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRunWriteError(t *testing.T) {
	t.Parallel()
	s, err := New(Config{In: strings.NewReader("hi\n"), Out: failingWriter{}, Handler: &fakeHandler{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Run = %v, want the write error", err)
	}
}

func TestHistoryFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history")
	withFile := func(c *Config) { c.HistoryFile = path }

	run(t, &fakeHandler{}, "first question\n\n/dm\nexit\n", withFile)

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "first question\n/dm\nexit\n"; string(data) != want {
		t.Errorf("file holds %q, want %q", data, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode %v, want 0600", perm)
	}

	out := run(t, &fakeHandler{}, "second\n/history\n", withFile)
	if want := "   1  first question\n   2  /dm\n   3  exit\n   4  second\n"; !strings.Contains(out, want) {
		t.Errorf("history after reload lacks %q:\n%s", want, out)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "first question\n/dm\nexit\nsecond\n/history\n"; string(data) != want {
		t.Errorf("file holds %q, want %q", data, want)
	}
}

func TestHistoryFileUnwritable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing-dir", "history")
	h := &fakeHandler{}
	out := run(t, h, "one\ntwo\n/history\n", func(c *Config) { c.HistoryFile = path })
	if n := strings.Count(out, "Could not save history"); n != 1 {
		t.Errorf("warned %d times, want once:\n%s", n, out)
	}
	if n := len(h.messages()); n != 2 {
		t.Errorf("%d messages sent, want 2", n)
	}
	if !strings.Contains(out, "   2  two\n") {
		t.Errorf("memory history lost:\n%s", out)
	}
}

func TestLoadHistoryBounded(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history")
	var b strings.Builder
	for i := range maxHistory + 10 {
		b.WriteString(strings.Repeat("x", i%3+1) + "\n\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := loadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.lines) != maxHistory {
		t.Errorf("loaded %d lines, want %d", len(h.lines), maxHistory)
	}
	if last := h.lines[len(h.lines)-1]; last != strings.Repeat("x", (maxHistory+9)%3+1) {
		t.Errorf("newest line %q is not the file's last", last)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	h := &fakeHandler{}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
		prompt  string
	}{
		{"defaults", Config{Handler: h, User: "alice"}, "", "alice@#general> "},
		{"channel with hash", Config{Handler: h, User: "alice", Channel: "#ops"}, "", "alice@#ops> "},
		{"no handler", Config{User: "alice"}, "Handler is required", ""},
		{"user with space", Config{Handler: h, User: "a b"}, "contains a space", ""},
		{"user not UTF-8", Config{Handler: h, User: "ann\xff"}, `"ann\xff" is not valid UTF-8 text`, ""},
		{"channel not UTF-8", Config{Handler: h, User: "ann", Channel: "ops\xfe"}, "is not valid UTF-8 text", ""},
		{"channel dm", Config{Handler: h, User: "alice", Channel: "dm"}, "use /dm", ""},
		{"all errors at once", Config{User: "a b", Channel: "x\ty"}, "Handler is required\nuser:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := New(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.prompt(); got != tt.prompt {
				t.Errorf("prompt %q, want %q", got, tt.prompt)
			}
		})
	}
}

func TestNewUserFromEnvironment(t *testing.T) {
	for _, tt := range []struct{ env, want string }{
		{"carol", "carol"},
		{"", "you"},
		{"bad name", "you"},
	} {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv("USER", tt.env)
			s, err := New(Config{Handler: &fakeHandler{}})
			if err != nil {
				t.Fatal(err)
			}
			if s.user != tt.want {
				t.Errorf("user %q, want %q", s.user, tt.want)
			}
		})
	}
}

// A history file that cannot be read (here a directory) costs the history,
// not the chat: Lore says so once and answers as usual.
func TestUnreadableHistoryIsAWarning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := run(t, &fakeHandler{}, "where is the handbook?\n/history\n", func(c *Config) { c.HistoryFile = dir })
	if !strings.Contains(out, "Could not read the history") {
		t.Errorf("no warning about the history:\n%s", out)
	}
	if !strings.Contains(out, "1  where is the handbook?") {
		t.Errorf("the session's lines are not kept in memory:\n%s", out)
	}
}
