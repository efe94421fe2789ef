package discord

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
)

var nudge = bot.Reply{Text: "Time for a two-minute refresher on phishing.", Buttons: []bot.Button{{ID: bot.ActionHelpful, Label: "Done", Value: "card-1"}}}

func TestSendDirectToOnePerson(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
	if err := a.SendDirect(context.Background(), []string{"6666"}, nudge); err != nil {
		t.Fatal(err)
	}
	open := f.recorded(http.MethodPost, reDMChannels)
	sent := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/776666/messages$`))
	if len(open) != 1 || !strings.Contains(string(open[0].Body), `"recipient_id":"6666"`) || len(sent) != 1 || !strings.Contains(string(sent[0].Body), "refresher") {
		t.Fatalf("requests: %s", f.dump())
	}
	f.checkNoMentions(t)
}

func TestSendDirectToSeveralPeople(t *testing.T) {
	t.Run("a private thread in the group channel", func(t *testing.T) {
		f := newFakeDiscord(t)
		var log testLog
		cfg := testConfig(f, &log)
		cfg.GroupChannelID = "4444"
		a := newTestAdapter(t, cfg, &fakeCore{})
		if err := a.SendDirect(context.Background(), []string{"7777", "6666", "7777"}, nudge); err != nil {
			t.Fatal(err)
		}
		threads := f.recorded(http.MethodPost, reThreads)
		if len(threads) != 1 || threads[0].Path != "/api/v9/channels/4444/threads" || threads[0].json(t)["type"] != float64(12) || threads[0].json(t)["invitable"] != false {
			t.Fatalf("thread = %s", f.dump())
		}
		members := f.recorded(http.MethodPut, reMember)
		if len(members) != 2 || !strings.HasSuffix(members[0].Path, "/6666") || !strings.HasSuffix(members[1].Path, "/7777") {
			t.Errorf("members added: %s", f.dump())
		}
		if n := len(f.recorded(http.MethodPost, reMessages)); n != 1 {
			t.Errorf("%d messages, want 1 in the thread", n)
		}
	})
	t.Run("a direct message each without a group channel", func(t *testing.T) {
		f := newFakeDiscord(t)
		var log testLog
		a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
		if err := a.SendDirect(context.Background(), []string{"6666", "7777"}, nudge); err != nil {
			t.Fatal(err)
		}
		if n := len(f.recorded(http.MethodPost, reMessages)); n != 2 {
			t.Errorf("%d messages, want 2", n)
		}
	})
}

func TestSendDirectRejectsBadRecipients(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
	for _, ids := range [][]string{nil, {"alice"}, {"<@123>"}} {
		if err := a.SendDirect(context.Background(), ids, nudge); err == nil {
			t.Errorf("SendDirect(%q) = nil", ids)
		}
	}
	if n := len(f.recorded("", nil)); n != 0 {
		t.Errorf("%d requests for bad recipients", n)
	}
}

// TestSendDirectRetriesRateLimits: a 429 (here the global limit) queues
// the message, which is delivered once the limit has passed, once.
func TestSendDirectRetriesRateLimits(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	var mu sync.Mutex
	limited := 0
	f.setFail(func(r recorded) (int, string, bool) {
		mu.Lock()
		defer mu.Unlock()
		if reMessages.MatchString(r.Path) && limited < 2 {
			limited++
			return http.StatusTooManyRequests, `{"message":"You are being rate limited.","retry_after":0.02,"global":true}`, true
		}
		return 0, "", false
	})
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
	if err := a.SendDirect(context.Background(), []string{"6666"}, nudge); err != nil {
		t.Fatalf("a rate limit is not an error for the caller: %v", err)
	}
	posts := f.waitFor(t, 3, http.MethodPost, reMessages) // two limited, one delivered
	deadline := time.Now().Add(5 * time.Second)
	for a.retries.pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // a duplicate would show by now
	if posts = f.recorded(http.MethodPost, reMessages); len(posts) != 3 {
		t.Errorf("%d sends, want 3 (two rate limited, then one delivered)", len(posts))
	}
	if n := len(f.recorded(http.MethodPost, reDMChannels)); n != 1 {
		t.Errorf("the DM channel was opened %d times; a retry must resume, not restart", n)
	}
	if !strings.Contains(log.String(), "delivered a queued message") {
		t.Errorf("log: %s", log.String())
	}
}

func TestSendDirectReturnsPermanentFailures(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	f.setFail(func(r recorded) (int, string, bool) {
		if reMessages.MatchString(r.Path) {
			return http.StatusForbidden, `{"message":"Cannot send messages to this user","code":50007}`, true
		}
		return 0, "", false
	})
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
	err := a.SendDirect(context.Background(), []string{"6666"}, nudge)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 403 || apiErr.Code != 50007 || apiErr.Retryable() {
		t.Fatalf("err = %v", err)
	}
	if a.retries.pending() != 0 {
		t.Error("a permanent failure was queued")
	}
}

func TestSendDirectServerErrorsAreRetried(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	var mu sync.Mutex
	failures := 0
	f.setFail(func(r recorded) (int, string, bool) {
		mu.Lock()
		defer mu.Unlock()
		if reDMChannels.MatchString(r.Path) && failures < 1 {
			failures++
			return http.StatusInternalServerError, `{"message":"oops"}`, true
		}
		return 0, "", false
	})
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
	if err := a.SendDirect(context.Background(), []string{"6666"}, nudge); err != nil {
		t.Fatal(err)
	}
	f.waitFor(t, 1, http.MethodPost, reMessages)
}

// TestTokenNeverInLogsOrErrors: even a server that echoes the request's
// Authorization header back in its error body does not get the token into
// an error or a log line.
func TestTokenNeverInLogsOrErrors(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	f.setFail(func(r recorded) (int, string, bool) {
		return http.StatusBadRequest, `{"message":"bad request from ` + r.Auth + ` at ` + r.Path + `","code":50035}`, true
	})
	cfg := testConfig(f, &log)
	a := newTestAdapter(t, cfg, &fakeCore{})
	var errs []error
	errs = append(errs, a.SendDirect(context.Background(), []string{"6666"}, nudge))
	errs = append(errs, a.RegisterCommands(context.Background()))
	a.handleMessage(context.Background(), guildMessage("1", "4444", "<@3333> hi", true))
	ix := gatewayInteraction(t, interactionPayload(1, 2, askCommand("x")))
	a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	for _, err := range errs {
		if err == nil {
			t.Fatal("no error from a failing server")
		}
		checkNoToken(t, "error", err.Error())
		if !strings.Contains(err.Error(), redacted) {
			t.Errorf("error does not show where the token was cut: %v", err)
		}
	}
	if log.String() == "" {
		t.Fatal("nothing was logged")
	}
	checkNoToken(t, "log", log.String())
	if strings.Contains(log.String(), "interaction-token") {
		t.Errorf("an interaction token reached the log: %s", log.String())
	}
	// The network path: an unreachable Discord.
	cfg.HTTPClient = &http.Client{Transport: rewrite{target: mustURL("http://127.0.0.1:1")}}
	b := newTestAdapter(t, cfg, &fakeCore{})
	err := b.RegisterCommands(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	checkNoToken(t, "network error", err.Error())
	if strings.Contains(err.Error(), "applications/") {
		t.Errorf("the request URL is in the error: %v", err)
	}
}
