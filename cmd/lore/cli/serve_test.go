package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/adapters/slack/slackfake"
	"github.com/lorehq/lore/cmd/lore/cli"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a lore serve running in-process.
type server struct {
	base   string // http://host:port
	stderr *syncBuffer
	stop   func() int
}

var servingRE = regexp.MustCompile(`on (http://[0-9.:]+) `)

// startServe runs lore serve with args until the test ends or stop is
// called, and waits for it to listen.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	return startServeEnv(t, os.Getenv, args...)
}

// startServeEnv is startServe with the environment read through getenv.
func startServeEnv(t *testing.T, getenv func(string) string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stderr: &syncBuffer{}}
	done := make(chan int, 1)
	go func() {
		done <- cli.RunWithEnv(ctx, append([]string{"serve", "--listen=127.0.0.1:0"}, args...),
			cli.Stdio{In: strings.NewReader(""), Out: io.Discard, Err: s.stderr}, getenv)
	}()
	var once sync.Once
	code := -1
	s.stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(45 * time.Second):
				t.Errorf("lore serve did not stop within 45 s:\n%s", s.stderr)
			}
		})
		return code
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingRE.FindStringSubmatch(s.stderr.String()); m != nil {
			s.base = m[1]
			return s
		}
		select {
		case c := <-done:
			t.Fatalf("lore serve exited with %d before listening:\n%s", c, s.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("lore serve did not start listening within 20 s:\n%s", s.stderr)
	return nil
}

type readiness struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}

func (s *server) ready(t *testing.T) (int, readiness) {
	t.Helper()
	resp, err := http.Get(s.base + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer resp.Body.Close()
	var r readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("/readyz body: %v", err)
	}
	return resp.StatusCode, r
}

// waitReady polls /readyz until it reports want or the timeout passes.
func (s *server) waitReady(t *testing.T, want bool, timeout time.Duration) readiness {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var r readiness
	for time.Now().Before(deadline) {
		var code int
		code, r = s.ready(t)
		if r.Ready == want {
			if want != (code == http.StatusOK) {
				t.Fatalf("/readyz says ready=%v with status %d", r.Ready, code)
			}
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("/readyz did not report ready=%v within %s; last: %+v\nserve log:\n%s", want, timeout, r, s.stderr)
	return r
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, timeout)
}

// An ingest queued with lore ingest --queue is worked by a lore serve
// replica on the same SQLite file; the replica is healthy and ready, and
// stops cleanly when asked.
func TestServeWorksQueuedIngestOnSQLite(t *testing.T) {
	db := newDB(t)
	corpus := copyCorpus(t)
	r := db.run(t, "ingest", "--queue", corpus)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "Queued ingest job") {
		t.Fatalf("ingest --queue printed %q", r.out)
	}
	if c := db.counts(t); c.documents != 0 {
		t.Fatalf("ingest --queue loaded %d documents itself; the work belongs to a replica", c.documents)
	}
	r = db.run(t, "ingest", "--queue", corpus)
	if !strings.Contains(r.out, "already queued") {
		t.Fatalf("the same ingest queued twice: %q", r.out)
	}

	srv := startServe(t, db.flag())
	resp, err := http.Get(srv.base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	ready := srv.waitReady(t, true, 10*time.Second)
	if ready.Checks["store"] != "ok" || ready.Checks["queue"] != "ok" {
		t.Fatalf("/readyz checks: %+v", ready.Checks)
	}
	waitFor(t, "the queued ingest is worked", 30*time.Second, func() bool { return db.counts(t).documents > 0 })
	db.run(t, "ask", leaveQuestion).wantCode(t, cli.ExitOK)
	waitFor(t, "/metrics reports the completed job", 10*time.Second, func() bool {
		resp, err := http.Get(srv.base + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `lore_jobs{kind="ingest",state="completed"} 1`)
	})
	if code := srv.stop(); code != cli.ExitOK {
		t.Fatalf("lore serve exited with %d after a stop signal:\n%s", code, srv.stderr)
	}
	// The job's log lines carry its id as their request id.
	var done map[string]any
	for line := range strings.Lines(srv.stderr.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "ingest job done" {
			done = rec
		}
	}
	if done == nil || done["request_id"] != fmt.Sprintf("job-%v", done["job"]) {
		t.Fatalf("the ingest job's log line lacks its request id: %v\n%s", done, srv.stderr)
	}
	if !strings.Contains(srv.stderr.String(), "stopping") {
		t.Fatalf("lore serve did not say it was stopping:\n%s", srv.stderr)
	}
}

// The start line counts the --sync folders, not every periodic job.
func TestServeStartLineCountsSyncFolders(t *testing.T) {
	srv := startServe(t, newDB(t).flag())
	if !strings.Contains(srv.stderr.String(), "; 0 folders re-synced every hour;") {
		t.Errorf("serve without --sync:\n%s", srv.stderr)
	}
	srv = startServe(t, newDB(t).flag(), "--sync", t.TempDir(), "--sync-every=30m")
	if !strings.Contains(srv.stderr.String(), "; 1 folder re-synced every 30 minutes;") {
		t.Errorf("serve with one --sync:\n%s", srv.stderr)
	}
}

func TestServeBadFlags(t *testing.T) {
	db := newDB(t)
	db.run(t, "serve", "--max-workers=0").wantCode(t, cli.ExitUsage)
	db.run(t, "serve", "--sync", "=wiki").wantCode(t, cli.ExitUsage)
	db.run(t, "serve", "--sync", t.TempDir(), "--sync-every=1ms").wantCode(t, cli.ExitUsage)
	db.run(t, "serve", "--listen=256.0.0.1:99999").wantCode(t, cli.ExitUsage)
}

// An empty --listen (an unset variable in a script) is refused before
// anything else: net.Listen would take a random port on every interface.
func TestEmptyListenIsRefused(t *testing.T) {
	folder := "--db=sqlite:" + t.TempDir() // would be refused next
	for _, args := range [][]string{{"serve", "--listen="}, {"dashboard", "--listen="}, {"serve", "--listen=8080"}} {
		r := run(t, append(args, folder)...)
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, "--listen") || !strings.Contains(r.err, "want HOST:PORT") {
			t.Errorf("%v: stderr %q does not refuse --listen", args, r.err)
		}
	}
}

// A replica whose address is taken exits with status 2 before it opens the
// database, so it works no job and connects no chat adapter.
func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	db := newDB(t)
	db.run(t, "ingest", "--queue", copyCorpus(t)).wantCode(t, cli.ExitOK)
	before, err := os.ReadFile(db.path)
	if err != nil {
		t.Fatal(err)
	}
	r := db.run(t, "serve", "--listen="+ln.Addr().String())
	if r.code != cli.ExitUsage || !strings.Contains(r.err, "address already in use") {
		t.Fatalf("serve on a taken address: exit %d, want %d saying the address is in use:\n%s", r.code, cli.ExitUsage, r.err)
	}
	if strings.Contains(r.err, "River client started") {
		t.Errorf("serve started its job queue before finding its address taken:\n%s", r.err)
	}
	if after, err := os.ReadFile(db.path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("serve on a taken address wrote to the database (%v)", err)
	}
	if c := db.counts(t); c.documents != 0 {
		t.Errorf("serve on a taken address worked the queued ingest: %d documents", c.documents)
	}
}

// newProxy starts a database proxy that the test can cut and restore,
// standing in for a server that goes away and comes back on its address.
func newProxy(t *testing.T, backend string) *cli.TCPProxy {
	t.Helper()
	p, err := cli.NewTCPProxy(backend)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Down)
	return p
}

// through rewrites a PostgreSQL URL to go through the proxy.
func through(t *testing.T, p *cli.TCPProxy, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.Addr()
	return u.String()
}

// PostgreSQL goes away while lore serve runs: /readyz reports not ready,
// requests fail with a clear, temporary error, and once the database is
// back Lore is ready and answers again without a restart, and its job
// workers pick up work queued after the outage.
func TestServeSurvivesPostgresRestart(t *testing.T) {
	direct := postgresURL(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, u.Host)
	db := "--db=" + through(t, px, direct)
	run(t, "migrate", db).wantCode(t, cli.ExitOK)
	run(t, "ingest", "testdata/corpus", db).wantCode(t, cli.ExitOK)

	srv := startServe(t, db)
	srv.waitReady(t, true, 10*time.Second)

	px.Down()
	r := srv.waitReady(t, false, 10*time.Second)
	if !strings.Contains(r.Checks["store"], "unavailable") {
		t.Fatalf("/readyz during the outage: store check %q, want it to say the database is unavailable", r.Checks["store"])
	}
	ask := run(t, "ask", leaveQuestion, db)
	if ask.code != cli.ExitFailure || !strings.Contains(ask.err, "unavailable") {
		t.Fatalf("ask during the outage: exit %d, stderr %q; want a failure saying the database is unavailable", ask.code, ask.err)
	}

	if err := px.Up(); err != nil { // the same address, as a restarted server
		t.Fatal(err)
	}
	srv.waitReady(t, true, 30*time.Second)
	run(t, "ask", leaveQuestion, db).wantCode(t, cli.ExitOK)

	// The replica's job workers came back too: a job queued now is worked.
	extra := t.TempDir()
	writeFile(t, extra+"/travel.md", []byte("# Travel\n\nBook trains through Railway Desk at least 14 days ahead.\n"))
	run(t, "ingest", "--queue", "--collection=travel", extra, db).wantCode(t, cli.ExitOK)
	waitFor(t, "a job queued after the outage is worked", 30*time.Second, func() bool {
		res := run(t, "ask", "--json", "how far ahead should I book trains with Railway Desk?", db)
		return res.code == cli.ExitOK && strings.Contains(res.out, "travel.md")
	})
	if code := srv.stop(); code != cli.ExitOK {
		t.Fatalf("lore serve exited with %d:\n%s", code, srv.stderr)
	}
}

// A chat adapter with a broken configuration stops lore serve at start,
// naming every problem, without echoing the token.
func TestServeRefusesBadAdapterConfiguration(t *testing.T) {
	db := newDB(t)
	r := runEnv(t, map[string]string{
		"LORE_DISCORD_TOKEN":       "not-a-real-token-value",
		"LORE_DISCORD_SHARD_COUNT": "3",
		"LORE_DISCORD_SHARD_ID":    "7",
	}, "serve", "--listen=127.0.0.1:0", db.flag())
	if r.code != cli.ExitUsage || !strings.Contains(r.err, "discord") {
		t.Fatalf("serve with a broken Discord configuration: exit %d\n%s", r.code, r.err)
	}
	if strings.Contains(r.err+r.out, "not-a-real-token-value") {
		t.Fatalf("the Discord token was echoed:\n%s", r.err)
	}
}

// Slack in HTTP mode through lore serve: a signed mention is acknowledged,
// answered in its thread with the cited fact, and Slack's retry of the same
// event is not answered again; a forged request is refused.
func TestServeAnswersSlackEventsOverHTTP(t *testing.T) {
	db := newDB(t)
	db.run(t, "ingest", copyCorpus(t)).wantCode(t, cli.ExitOK)
	fake := slackfake.New()
	defer fake.Close()
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	env := map[string]string{
		"LORE_SLACK_MODE": "http", "LORE_SLACK_BOT_TOKEN": "xoxb-serve-test",
		"LORE_SLACK_SIGNING_SECRET": secret, "LORE_SLACK_API_URL": fake.URL(),
	}
	srv := startServeEnv(t, func(k string) string { return env[k] }, db.flag())
	r := srv.waitReady(t, true, 10*time.Second)
	if r.Checks["slack"] != "ok" {
		t.Fatalf("/readyz slack check: %+v", r.Checks)
	}

	post := func(body []byte, headers http.Header) int {
		req, _ := http.NewRequest(http.MethodPost, srv.base+"/slack/events", bytes.NewReader(body))
		req.Header = headers
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := slackfake.MentionEvent("Ev0001", "C0GENERAL", "U0ASKER", leaveQuestion, "1700000000.000100")
	if code := post(body, slackfake.Sign(secret, body, time.Now())); code != http.StatusOK {
		t.Fatalf("signed event: %d", code)
	}
	waitFor(t, "the answer is posted", 20*time.Second, func() bool { return len(fake.Calls("chat.postMessage")) > 0 })
	answer := fake.Calls("chat.postMessage")[0]
	if answer.Arg("thread_ts") != "1700000000.000100" || !strings.Contains(fmt.Sprint(answer.Args), leaveFact) {
		t.Fatalf("answer not in the thread or without the fact: %v", answer.Args)
	}

	retry := slackfake.Sign(secret, body, time.Now())
	retry.Set("X-Slack-Retry-Num", "1")
	retry.Set("X-Slack-Retry-Reason", "http_timeout")
	if code := post(body, retry); code != http.StatusOK {
		t.Fatalf("retried event: %d", code)
	}
	forged := slackfake.Sign("not-the-secret", body, time.Now())
	if code := post(body, forged); code != http.StatusUnauthorized {
		t.Fatalf("forged event: %d, want 401", code)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(fake.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("%d answers posted for one event delivered twice", n)
	}
	resp, err := http.Get(srv.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`lore_questions_total{platform="slack"} 1`, `lore_answers_total{outcome="grounded",platform="slack"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(srv.stderr.String(), "xoxb-serve-test") || strings.Contains(srv.stderr.String(), secret) {
		t.Fatalf("a Slack secret reached the log:\n%s", srv.stderr)
	}
}

// lore serve also serves the leaders' dashboard (sign-in first) and runs
// the engagement jobs it is configured for.
func TestServeDashboardAndEngagementJobs(t *testing.T) {
	db := newDB(t)
	env := map[string]string{"LORE_DASHBOARD_TOKEN": "a-dashboard-token-for-tests", "LORE_RETENTION": "365d"} // as lore retention --keep reads it
	srv := startServeEnv(t, func(k string) string { return env[k] }, db.flag())
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(srv.base + "/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/dashboard without signing in: %d", resp.StatusCode)
	}
	waitFor(t, "the retention job runs at start", 20*time.Second, func() bool {
		resp, err := http.Get(srv.base + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `lore_jobs{kind="engagement_retention",state="completed"} 1`)
	})
	runEnv(t, map[string]string{"LORE_RETENTION": "1h"}, "config", "check").wantCode(t, cli.ExitUsage)
	for _, keep := range []string{"8760h", "52w", "1d"} {
		runEnv(t, map[string]string{"LORE_RETENTION": keep}, "config", "check").wantCode(t, cli.ExitOK)
	}

	// Without a way to sign in, there is no dashboard.
	plain := startServe(t, newDB(t).flag())
	resp, err = http.Get(plain.base + "/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/dashboard with no sign-in configured: %d, want 404", resp.StatusCode)
	}
}
