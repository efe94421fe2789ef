package discord

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
)

// secretReply is a private reply as the curator commands make one: text
// for the asker alone, with buttons.
func secretReply(bot.Message) bot.Reply {
	return bot.Reply{
		Text:    "Drafts: Salary bands 2027 (owner carol, restricted to hr)",
		Buttons: []bot.Button{{ID: "approve", Label: "Approve", Value: "d1"}},
		Private: true,
	}
}

const secretText = "Salary bands 2027"

// dmMessages matches the messages sent to alice's (6666) direct message
// channel, as the fake opens it.
var dmMessages = regexp.MustCompile(`^/api/v9/channels/776666/messages$`)

// checkNotShownOutsideDM fails the test when a message sent or edited
// anywhere but alice's direct messages carries the secret.
func checkNotShownOutsideDM(t *testing.T, f *fakeDiscord) {
	t.Helper()
	for _, r := range f.recorded("", nil) {
		if dmMessages.MatchString(r.Path) || reDMChannels.MatchString(r.Path) {
			continue
		}
		if strings.Contains(string(r.Body), secretText) {
			t.Errorf("the private reply was shown outside the direct message: %s %s %s", r.Method, r.Path, r.Body)
		}
	}
}

func TestPrivateReplyToAMentionGoesByDirectMessage(t *testing.T) {
	f := newFakeDiscord(t)
	f.setChannel("4444", map[string]any{"type": 0})
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{reply: secretReply})
	a.handleMessage(context.Background(), guildMessage("8001", "4444", "<@3333> approve", true))

	opened := f.recorded(http.MethodPost, reDMChannels)
	if len(opened) != 1 || !strings.Contains(string(opened[0].Body), `"recipient_id":"6666"`) {
		t.Fatalf("direct message channel opened = %v; all requests: %s", opened, f.dump())
	}
	dm := f.recorded(http.MethodPost, dmMessages)
	if len(dm) != 1 || !strings.Contains(string(dm[0].Body), secretText) || !strings.Contains(string(dm[0].Body), `"components"`) {
		t.Fatalf("direct message = %v; all requests: %s", dm, f.dump())
	}
	// The thread started on the mention has the note, and only the note.
	inThread := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/8001/messages$`))
	if len(inThread) != 1 || !strings.Contains(string(inThread[0].Body), privateSentNote) {
		t.Errorf("in the thread: %v; all requests: %s", inThread, f.dump())
	}
	checkNotShownOutsideDM(t, f)
	f.checkNoMentions(t)
}

func TestPrivateReplyInAThreadGoesByDirectMessage(t *testing.T) {
	f := newFakeDiscord(t)
	f.setChannel("5556", map[string]any{"type": 11, "parent_id": "4444", "owner_id": testBot})
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{reply: secretReply})
	a.handleMessage(context.Background(), guildMessage("8002", "5556", "gaps", false))

	if dm := f.recorded(http.MethodPost, dmMessages); len(dm) != 1 || !strings.Contains(string(dm[0].Body), secretText) {
		t.Fatalf("direct message = %v; all requests: %s", dm, f.dump())
	}
	inThread := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/5556/messages$`))
	if len(inThread) != 1 || !strings.Contains(string(inThread[0].Body), privateSentNote) {
		t.Errorf("in the thread: %v", inThread)
	}
	checkNotShownOutsideDM(t, f)
}

// TestPrivateReplyWithDirectMessagesOff: someone who accepts no direct
// messages is told so in the thread, and the reply is not shown there.
func TestPrivateReplyWithDirectMessagesOff(t *testing.T) {
	f := newFakeDiscord(t)
	f.setChannel("4444", map[string]any{"type": 0})
	f.setFail(func(r recorded) (int, string, bool) {
		if dmMessages.MatchString(r.Path) {
			return http.StatusForbidden, `{"message":"Cannot send messages to this user","code":50007}`, true
		}
		return 0, "", false
	})
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{reply: secretReply})
	a.handleMessage(context.Background(), guildMessage("8001", "4444", "<@3333> approve", true))

	inThread := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/8001/messages$`))
	if len(inThread) != 1 || !strings.Contains(string(inThread[0].Body), "couldn't send you a direct message") ||
		!strings.Contains(string(inThread[0].Body), "/lore") {
		t.Errorf("in the thread: %v; all requests: %s", inThread, f.dump())
	}
	checkNotShownOutsideDM(t, f)
	if a.retries.pending() != 0 {
		t.Errorf("a refused direct message was queued for a retry")
	}
	if strings.Contains(log.String(), secretText) {
		t.Errorf("the private reply is in the log: %s", log.String())
	}
}

// TestStreamedPrivateReplyIsRemovedFromTheThread: text streamed into the
// thread before the reply turned out private is deleted.
func TestStreamedPrivateReplyIsRemovedFromTheThread(t *testing.T) {
	f := newFakeDiscord(t)
	f.setChannel("4444", map[string]any{"type": 0})
	var log testLog
	threadPosts := regexp.MustCompile(`^/api/v9/channels/8001/messages$`)
	// The reply comes once the streamed text is shown.
	core := &fakeCore{reply: secretReply, stream: []string{"Drafts:"}, before: func() { f.waitFor(t, 1, http.MethodPost, threadPosts) }}
	a := newTestAdapter(t, testConfig(f, &log), core)
	a.handleMessage(context.Background(), guildMessage("8001", "4444", "<@3333> approve", true))

	posts := f.recorded(http.MethodPost, threadPosts)
	if len(posts) != 2 || !strings.Contains(string(posts[0].Body), "Drafts:") || !strings.Contains(string(posts[1].Body), privateSentNote) {
		t.Fatalf("thread posts = %v; all requests: %s", posts, f.dump())
	}
	if del := f.recorded(http.MethodDelete, regexp.MustCompile(`^/api/v9/channels/8001/messages/\w+$`)); len(del) != 1 {
		t.Errorf("the streamed text was not deleted: %s", f.dump())
	}
	if dm := f.recorded(http.MethodPost, dmMessages); len(dm) != 1 || !strings.Contains(string(dm[0].Body), secretText) {
		t.Errorf("direct message = %v", dm)
	}
	checkNotShownOutsideDM(t, f)
}

// TestPublicAndDirectRepliesStayInPlace: a reply that is not private is
// answered in the thread as before, and a private reply in a direct
// message is answered there.
func TestPublicAndDirectRepliesStayInPlace(t *testing.T) {
	f := newFakeDiscord(t)
	f.setChannel("4444", map[string]any{"type": 0})
	var log testLog
	core := &fakeCore{reply: func(m bot.Message) bot.Reply {
		if m.Direct {
			return secretReply(m)
		}
		return sampleReply()
	}}
	a := newTestAdapter(t, testConfig(f, &log), core)
	a.handleMessage(context.Background(), guildMessage("8001", "4444", "<@3333> leave?", true))
	inThread := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/8001/messages$`))
	if len(inThread) != 1 || !strings.Contains(string(inThread[0].Body), "27 days") {
		t.Errorf("public answer in the thread = %v; all requests: %s", inThread, f.dump())
	}

	a.handleMessage(context.Background(), &discordgo.Message{ID: "8003", ChannelID: "dm1", Content: "approve", Author: &discordgo.User{ID: "6666"}})
	inDM := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/dm1/messages$`))
	if len(inDM) != 1 || !strings.Contains(string(inDM[0].Body), secretText) {
		t.Errorf("private answer in the direct message = %v", inDM)
	}
	if n := len(f.recorded(http.MethodPost, reDMChannels)); n != 0 {
		t.Errorf("%d direct message channels opened for replies that needed none", n)
	}
}

func TestExpiredInteractionTokenSendsPrivateReplyByDirectMessage(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	clock := &fakeClock{t: testNow}
	core := &fakeCore{reply: secretReply, before: func() { clock.add(interactionWindow) }}
	cfg := testConfig(f, &log)
	cfg.Clock = clock.now
	a := newTestAdapter(t, cfg, core)
	ix := gatewayInteraction(t, interactionPayload(1, 2, askCommand("approve")))
	a.handleInteraction(context.Background(), ix, restRespond(a, ix))

	if dm := f.recorded(http.MethodPost, dmMessages); len(dm) != 1 || !strings.Contains(string(dm[0].Body), secretText) {
		t.Fatalf("direct message = %v; all requests: %s", dm, f.dump())
	}
	if sent := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/4444/messages$`)); len(sent) != 0 {
		t.Errorf("%d messages in the channel", len(sent))
	}
	checkNotShownOutsideDM(t, f)
}

func TestExpiredInteractionTokenDropsPrivateReplyWhenNoDirectMessage(t *testing.T) {
	f := newFakeDiscord(t)
	f.setFail(func(r recorded) (int, string, bool) {
		if dmMessages.MatchString(r.Path) {
			return http.StatusForbidden, `{"message":"Cannot send messages to this user","code":50007}`, true
		}
		return 0, "", false
	})
	var log testLog
	clock := &fakeClock{t: testNow}
	core := &fakeCore{reply: secretReply, before: func() { clock.add(interactionWindow) }}
	cfg := testConfig(f, &log)
	cfg.Clock = clock.now
	a := newTestAdapter(t, cfg, core)
	ix := gatewayInteraction(t, interactionPayload(1, 2, askCommand("approve")))
	a.handleInteraction(context.Background(), ix, restRespond(a, ix))

	checkNotShownOutsideDM(t, f)
	if sent := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/4444/messages$`)); len(sent) != 0 {
		t.Errorf("%d messages in the channel", len(sent))
	}
	if !strings.Contains(log.String(), "private reply was dropped") || strings.Contains(log.String(), secretText) {
		t.Errorf("log = %s", log.String())
	}
}
