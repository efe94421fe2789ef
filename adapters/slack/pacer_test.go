package slack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/lorehq/lore/bot"
)

// A burst of 500 answers against an API that, after every 100 accepted
// calls, refuses with 429 and Retry-After: 1 for a second: every answer is
// posted exactly once, and the pacer holds back while a Retry-After is
// pending.
func TestBurstPacedWithoutLoss(t *testing.T) {
	const burst, quota = 500, 100
	h := newHarness(t, &fakeCore{}, func(c *Config, _ *Deps) { c.MaxConcurrent = 8 })
	var (
		mu          sync.Mutex
		accepted    int
		blockedTill time.Time
		refused     int
		early       int
		nextPause   = quota
	)
	h.fake.limit = func(method string) (bool, int) {
		if method != "chat.postMessage" {
			return false, 0
		}
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if now.Before(blockedTill) {
			early++ // a call that did not wait for the Retry-After
			refused++
			return true, 1
		}
		if accepted == nextPause {
			nextPause += quota
			blockedTill = now.Add(time.Second)
			refused++
			return true, 1
		}
		accepted++
		return false, 0
	}
	var wg sync.WaitGroup
	errs := make(chan error, burst)
	for i := range burst {
		wg.Go(func() {
			errs <- h.a.deliver(t.Context(), "C1", "", "", render(bot.Reply{Text: fmt.Sprintf("answer %d", i)}, renderOptions{}))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("an answer was lost: %v", err)
		}
	}
	seen := map[string]int{}
	h.fake.mu.Lock()
	for _, c := range h.fake.calls {
		if c.Method == "chat.postMessage" {
			seen[c.Form.Get("text")]++
		}
	}
	h.fake.mu.Unlock()
	for i := range burst {
		n := seen[fmt.Sprintf("answer %d", i)]
		if n < 1 {
			t.Fatalf("answer %d never reached Slack", i)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if refused == 0 {
		t.Fatal("the fake never rate-limited; the test proves nothing")
	}
	if calls := len(h.fake.callsOf("chat.postMessage")); calls != burst+refused {
		t.Errorf("%d calls for %d answers and %d refusals: something was sent twice", calls, burst, refused)
	}
	// Only calls already in flight when a 429 came may land in its pause;
	// a pacer that ignored Retry-After would send hundreds.
	if early > h.a.cfg.MaxConcurrent*(burst/quota) {
		t.Errorf("%d calls arrived while a Retry-After was pending", early)
	}
	if accepted != burst {
		t.Errorf("%d calls accepted, want each of the %d answers once", accepted, burst)
	}
	t.Logf("%d answers, %d refusals with Retry-After, %d calls during a pause", accepted, refused, early)
}

// A Slack server error is retried after a growing back-off, without
// holding other calls; a run of them longer than the retries is reported.
func TestServerErrorsRetried(t *testing.T) {
	p := newPacer(2)
	var waits []time.Duration
	p.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	calls := 0
	err := p.do(t.Context(), "chat.postMessage", func(context.Context) error {
		calls++
		if calls <= 2 {
			return slack.StatusCodeError{Code: 500, Status: "500 Internal Server Error"}
		}
		return nil
	})
	if err != nil || calls != 3 || len(waits) != 2 || waits[0] != time.Second || waits[1] != 2*time.Second {
		t.Fatalf("err %v after %d calls, waits %v; want success on the third call after 1 s and 2 s", err, calls, waits)
	}
	if !p.until.IsZero() {
		t.Error("a server error paused every call")
	}

	calls, waits = 0, nil
	err = p.do(t.Context(), "chat.postMessage", func(context.Context) error {
		calls++
		return slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}
	})
	if err == nil || calls != maxServerRetries+1 {
		t.Fatalf("a lasting outage: err %v after %d calls", err, calls)
	}
	calls = 0
	err = p.do(t.Context(), "chat.postMessage", func(context.Context) error {
		calls++
		return slack.StatusCodeError{Code: 400, Status: "400 Bad Request"}
	})
	if err == nil || calls != 1 {
		t.Fatalf("a client error was retried: %d calls", calls)
	}
}

// A response_url lets whoever holds it post as Lore: when posting to one
// fails before Slack answers, neither the error nor the log shows it.
func TestFailedRequestDoesNotShowItsAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	secret := "http://" + addr + "/commands/T1/123/SECRETresponseTOKEN"
	h := newHTTPHarness(t, &fakeCore{}, func(c *Config, _ *Deps) {
		c.ResponseURLPrefixes = append(c.ResponseURLPrefixes, "http://"+addr+"/")
	})
	err = h.a.respond(t.Context(), secret, bot.Reply{Text: "x"}, renderOptions{}, false, false)
	if err == nil {
		t.Fatal("posting to a closed port succeeded")
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("the error %v no longer unwraps to the request's *url.Error", err)
	}
	for what, text := range map[string]string{"error": err.Error(), "log": h.logs.String()} {
		if strings.Contains(text, "SECRETresponseTOKEN") {
			t.Errorf("the response_url's path is in the %s:\n%s", what, text)
		}
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("the error %q does not say which host failed", err)
	}
}
