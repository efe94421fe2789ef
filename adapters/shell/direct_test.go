package shell

import (
	"context"
	"strings"
	"testing"

	"github.com/lorehq/lore/bot"
)

// directHandler sends a direct message with buttons while it handles a
// message, as the peer capability does when it asks an expert.
type directHandler struct {
	fakeHandler
	shell *Shell
}

func (h *directHandler) HandleMessage(ctx context.Context, msg bot.Message) bot.Reply {
	_ = h.shell.SendDirect(ctx, "shell", "", []string{"ben\x1b[31m"}, bot.Reply{
		Text:    "ana would like help with *vpn*.",
		Buttons: []bot.Button{{ID: "peers_accept", Label: "Yes", Value: "r1"}},
	})
	_ = h.shell.SendDirect(ctx, "shell", "", []string{"ana", "ben"}, bot.Reply{Text: "ana, meet ben."})
	return bot.Reply{Text: "I've asked ben."}
}

func TestSendDirectPrintsAndItsButtonsCanBePressed(t *testing.T) {
	h := &directHandler{}
	var out strings.Builder
	s, err := New(Config{In: strings.NewReader("connect vpn\n/as ben\n/press 1\n"), Out: &out, Handler: h, User: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	h.shell = s
	if err := s.SendDirect(t.Context(), "shell", "", []string{"x"}, bot.Reply{Text: "early"}); err == nil {
		t.Error("a direct message before Run was accepted")
	}
	if err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"[direct message to ben]", "ana would like help with *vpn*.", "[group message to ana, ben]", "I've asked ben."} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b[31m") {
		t.Error("an escape sequence in a user id reached the terminal")
	}
	if len(h.actions) != 1 || h.actions[0].ID != "peers_accept" || h.actions[0].User != "ben" || h.actions[0].Value != "r1" {
		t.Errorf("actions = %+v, want ben pressing the direct message's button", h.actions)
	}
}
