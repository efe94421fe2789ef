package shell

import (
	"context"
	"errors"
	"strings"

	"github.com/lorehq/lore/bot"
)

// SendDirect prints a message Lore sends outside the conversation: a
// direct message to one user or a group message to several (an expert
// asked for help, an introduction). It implements the peer capability's
// Messenger, so that the whole flow can be tried in one terminal: the
// message's buttons are what /press answers next, after /as the addressee.
//
// It is called by the core while it handles a line, on Run's goroutine.
func (s *Shell) SendDirect(_ context.Context, _, _ string, users []string, r bot.Reply) error {
	if s.w == nil {
		return errors.New("shell: direct message while the shell is not running")
	}
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = sanitizeLine(u)
	}
	to := "direct message to " + strings.Join(names, ", ")
	if len(users) > 1 {
		to = "group message to " + strings.Join(names, ", ")
	}
	s.println("[" + to + "]")
	_ = printReply(s.w, r, s.color)
	if len(r.Buttons) > 0 {
		s.sentDirect = lastReply{buttons: append([]bot.Button(nil), r.Buttons...), channel: dmChannel}
	}
	return s.w.err
}
