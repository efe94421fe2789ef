package slack

import (
	"strings"
	"testing"
)

// TestRateLimitedNoticeIsAcknowledged: Slack's app_rate_limited notice
// (its documented payload) gets its 200, since Slack disables the event
// subscriptions of an app that refuses deliveries, and the log says that
// events are being dropped, for the workspace and since when.
func TestRateLimitedNoticeIsAcknowledged(t *testing.T) {
	body := readTestdata(t, "app_rate_limited.json")
	check := func(t *testing.T, h *harness, core *fakeCore) {
		t.Helper()
		_ = h.a.Wait(t.Context())
		logs := h.logs.String()
		if !strings.Contains(logs, "Slack is rate limiting") || !strings.Contains(logs, "team=T123456") ||
			!strings.Contains(logs, "since=2018-02-12T20:37:00Z") {
			t.Errorf("the log does not report the rate limit:\n%s", logs)
		}
		if strings.Contains(logs, "refused") || strings.Contains(logs, "dropped") {
			t.Errorf("the notice is logged as a bad delivery:\n%s", logs)
		}
		if n := len(core.messages()); n != 0 {
			t.Errorf("core asked %d times", n)
		}
	}

	t.Run("http", func(t *testing.T) {
		core := &fakeCore{}
		h := newHTTPHarness(t, core, nil)
		w := serve(h.a.Handler(), signed(t, "/slack/events", "application/json", body, httpNow))
		if w.Code != 200 {
			t.Fatalf("status %d %q, want 200", w.Code, w.Body)
		}
		check(t, h, core)
	})

	t.Run("socket mode", func(t *testing.T) {
		core := &fakeCore{}
		h := newHarness(t, core, nil)
		h.runSocket(t)
		h.sendSocket(t, "events_api", body)
		check(t, h, core)
	})
}
