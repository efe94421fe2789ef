package discord

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// SendDirectThread returns the id of the direct message it sent, and a
// reply to that message reaches the core as a direct message in that
// "thread": how a learner's answer to a nudge finds the nudge.
func TestSendDirectThreadAndTheReplyToIt(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &fakeCore{}
	a := newTestAdapter(t, testConfig(f, &log), core)
	id, err := a.SendDirectThread(t.Context(), "6666", nudge)
	if err != nil {
		t.Fatal(err)
	}
	sent := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/776666/messages$`))
	if id == "" || len(sent) != 1 {
		t.Fatalf("id %q; requests: %s", id, f.dump())
	}
	if _, err := a.SendDirectThread(t.Context(), "alice", nudge); err == nil {
		t.Fatal("a user id that is not a snowflake was accepted")
	}

	a.handleMessage(t.Context(), &discordgo.Message{ID: "9101", ChannelID: "776666", Content: "A parcel text asking for my card",
		Author: &discordgo.User{ID: "6666", Username: "alice"}, MessageReference: &discordgo.MessageReference{MessageID: id, ChannelID: "776666"}})
	core.mu.Lock()
	defer core.mu.Unlock()
	if len(core.messages) != 1 || !core.messages[0].Direct || core.messages[0].Thread != id {
		t.Fatalf("core got %+v, want a direct message in thread %s", core.messages, id)
	}
}
