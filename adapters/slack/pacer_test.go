package slack

import (
	"fmt"
	"sync"
	"testing"
	"time"

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
