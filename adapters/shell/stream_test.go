package shell

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/lorehq/lore/bot"
)

// streamingHandler streams a fixed sequence of texts, then replies.
type streamingHandler struct {
	fakeHandler
	updates []string
	out     *writeLog // to see what was printed at each update
	seen    []string  // output after each update
}

func (h *streamingHandler) HandleMessageStream(ctx context.Context, msg bot.Message, stream bot.StreamFunc) bot.Reply {
	for _, u := range h.updates {
		stream(u)
		h.seen = append(h.seen, h.out.String())
	}
	return h.HandleMessage(ctx, msg)
}

type writeLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *writeLog) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func runStreaming(t *testing.T, h *streamingHandler) string {
	t.Helper()
	h.out = &writeLog{}
	s, err := New(Config{In: strings.NewReader("how long is leave?\n"), Out: h.out, Handler: h, User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	return h.out.String()
}

func TestShellPrintsStreamedText(t *testing.T) {
	final := "Parents get 26 weeks of leave [1]."
	h := &streamingHandler{
		updates: []string{"Parents ", "Parents get 26 ", "Parents get 26 weeks of leave [", "Parents get 26 weeks of leave [1", final},
		fakeHandler: fakeHandler{reply: bot.Reply{Text: final, Grounded: true,
			Citations: []bot.Citation{{N: 1, Title: "Leave", Source: "leave.md"}}}},
	}
	out := runStreaming(t, h)
	if !strings.HasSuffix(h.seen[0], "Parents ") || !strings.HasSuffix(h.seen[1], "Parents get 26 ") {
		t.Errorf("text not printed as it arrived: %q", h.seen[:2])
	}
	// The unfinished last word (a citation being written) waits.
	if strings.Contains(h.seen[3], "[") {
		t.Errorf("an unfinished citation was printed: %q", h.seen[3])
	}
	if strings.Count(out, "Parents get 26 weeks") != 1 || !strings.Contains(out, final+"\n") || !strings.Contains(out, "[1] Leave") {
		t.Errorf("output:\n%s", out)
	}
}

func TestShellReprintsAReplacedAnswer(t *testing.T) {
	h := &streamingHandler{
		updates:     []string{"The model began ", "The model began to \x1b[31manswer "},
		fakeHandler: fakeHandler{reply: bot.Reply{Text: "Quoted instead [1].\n\n_Quoted from the sources._", Fallback: true}},
	}
	out := runStreaming(t, h)
	if !strings.Contains(out, "The model began to answer \n\nQuoted instead [1].") {
		t.Errorf("the final text was not printed after the streamed one:\n%q", out)
	}
	if strings.Contains(out, "\x1b[31m") {
		t.Error("an escape sequence from the model reached the terminal")
	}
}
