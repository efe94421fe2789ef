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

// A nudge's messages carry a nonce derived from its key, which Discord
// enforces: a retry after a send whose answer was lost (or whose record
// failed) makes no second message and gets the first one's id back. A
// failed send is returned, not queued: the nudge's job retries it, under
// its claim.
func TestSendDirectThreadWithAKeySendsOnce(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
	keyed := nudge
	keyed.IdempotencyKey = "n-0123456789abcdef0123"
	first, err := a.SendDirectThread(t.Context(), "6666", keyed)
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.SendDirectThread(t.Context(), "6666", keyed)
	if err != nil {
		t.Fatal(err)
	}
	sends := regexp.MustCompile(`^/api/v9/channels/776666/messages$`)
	posts := f.recorded(http.MethodPost, sends)
	if len(posts) != 2 || first == "" || again != first {
		t.Fatalf("ids %q then %q; want the same message twice; requests: %s", first, again, f.dump())
	}
	body := posts[0].json(t)
	n, _ := body["nonce"].(string)
	if len(n) == 0 || len(n) > 25 || body["enforce_nonce"] != true || posts[1].json(t)["nonce"] != n {
		t.Errorf("nonce %q, enforce_nonce %v; want the same nonce of at most 25 characters, enforced, on both sends", n, body["enforce_nonce"])
	}
	if body["content"] == nil || body["allowed_mentions"] == nil {
		t.Errorf("the keyed message lost its fields: %s", posts[0].Body)
	}
	other := keyed
	other.IdempotencyKey = "n-another-nudge"
	if id, err := a.SendDirectThread(t.Context(), "6666", other); err != nil || id == first {
		t.Errorf("another key: id %q, %v; want a new message", id, err)
	}
	if _, ok := f.recorded(http.MethodPost, sends)[2].json(t)["nonce"]; !ok {
		t.Error("another key's message has no nonce")
	}
	if _, err := a.SendDirectThread(t.Context(), "6666", nudge); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.recorded(http.MethodPost, sends)[3].json(t)["nonce"]; ok {
		t.Error("a reply without a key was sent with a nonce")
	}

	f.setFail(func(r recorded) (int, string, bool) {
		return http.StatusBadGateway, `{"message":"bad gateway","code":0}`, r.Method == http.MethodPost && sends.MatchString(r.Path)
	})
	if _, err := a.SendDirectThread(t.Context(), "6666", keyed); err == nil {
		t.Error("a send Discord failed returned no error")
	}
	if n := a.retries.pending(); n != 0 {
		t.Errorf("%d sends queued for a retry in the background; want the failure left to the caller", n)
	}
}
