package cli_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/adapters/slack/slackfake"
	"github.com/lorehq/lore/cmd/lore/cli"
)

// On a stop signal, a job in flight gets lore serve's job bound counted
// from the signal, even while a chat answer is still being written: it is
// cancelled (and so made available to another replica) within that bound,
// not after the answers and requests have had theirs, which would overrun
// an orchestrator's grace period and leave the job marked running.
func TestServeStopBoundsJobsFromTheSignal(t *testing.T) {
	const jobBound, answerTimeout = 2 * time.Second, 4 * time.Second
	defer cli.SetShutdownBounds(3*time.Second, jobBound, 10*time.Second)()

	var mu sync.Mutex
	var fetching, modelAsked bool
	var fetchCancelled time.Time
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/robots.txt"):
			http.NotFound(w, r)
		case strings.HasPrefix(r.URL.Path, "/v1/"): // the model never answers
			mu.Lock()
			modelAsked = true
			mu.Unlock()
			select {
			case <-r.Context().Done():
			case <-release:
			}
		default: // the source's page never arrives
			mu.Lock()
			fetching = true
			mu.Unlock()
			select {
			case <-r.Context().Done():
				mu.Lock()
				fetchCancelled = time.Now()
				mu.Unlock()
			case <-release:
			}
		}
	}))
	defer upstream.Close()
	defer close(release) // before Close, which waits for the handlers
	fake := slackfake.New()
	defer fake.Close()

	db := newDB(t)
	db.run(t, "ingest", copyCorpus(t)).wantCode(t, cli.ExitOK)
	db.run(t, "sources", "add", "slow", upstream.URL+"/page", "--kind", "url", "--every", "1h").wantCode(t, cli.ExitOK)
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	env := map[string]string{
		"LORE_SLACK_MODE": "http", "LORE_SLACK_BOT_TOKEN": "xoxb-stop-test",
		"LORE_SLACK_SIGNING_SECRET": secret, "LORE_SLACK_API_URL": fake.URL(),
		"LORE_CHAT_MODEL": "hangs", "LORE_OPENAI_BASE_URL": upstream.URL + "/v1",
		"LORE_ANSWER_TIMEOUT": answerTimeout.String(), "LORE_FETCH_ALLOW": "127.0.0.1",
	}
	srv := startServeEnv(t, func(k string) string { return env[k] }, db.flag())
	waitFor(t, "the source's sync job fetches its page", 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return fetching
	})
	body := slackfake.MentionEvent("Ev0STOP1", "C0GENERAL", "U0ASKER", leaveQuestion, "1700000000.000100")
	req, _ := http.NewRequest(http.MethodPost, srv.base+"/slack/events", strings.NewReader(string(body)))
	req.Header = slackfake.Sign(secret, body, time.Now())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("mention: %v %v", resp, err)
	}
	resp.Body.Close()
	waitFor(t, "the answer waits for the model", 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return modelAsked
	})

	signal := time.Now()
	if code := srv.stop(); code != cli.ExitOK {
		t.Fatalf("lore serve exited %d:\n%s", code, srv.stderr)
	}
	mu.Lock()
	cancelled := fetchCancelled
	mu.Unlock()
	if cancelled.IsZero() {
		t.Fatalf("the sync job in flight was never cancelled:\n%s", srv.stderr)
	}
	if took := cancelled.Sub(signal); took > jobBound+1500*time.Millisecond {
		t.Errorf("the job in flight was cancelled %s after the signal, want within its %s bound", took.Round(100*time.Millisecond), jobBound)
	}
	// The answer in flight was still given, from the passages.
	if len(fake.Calls("chat.postMessage")) == 0 {
		t.Errorf("the answer in flight at the signal was not posted:\n%s", srv.stderr)
	}
}
