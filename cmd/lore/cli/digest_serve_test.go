package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/postgres"
)

// digestSlackAPI is the part of Slack's Web API a digest uses, with
// auth.test for lore serve's start in HTTP mode. It records calls by
// method and the bytes uploaded.
type digestSlackAPI struct {
	srv *httptest.Server

	mu       sync.Mutex
	calls    map[string][]url.Values
	uploaded [][]byte
}

func newDigestSlackAPI(t *testing.T) *digestSlackAPI {
	f := &digestSlackAPI{calls: map[string][]url.Values{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := strings.TrimPrefix(r.URL.Path, "/api/")
		if method == "upload/F0CHART" {
			file, _, err := r.FormFile("file")
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			data, _ := io.ReadAll(file)
			f.mu.Lock()
			f.uploaded = append(f.uploaded, data)
			f.mu.Unlock()
			_, _ = io.WriteString(w, "OK")
			return
		}
		_ = r.ParseForm()
		f.mu.Lock()
		f.calls[method] = append(f.calls[method], r.PostForm)
		f.mu.Unlock()
		resp := map[string]any{"ok": true}
		switch method {
		case "auth.test":
			resp = map[string]any{"ok": true, "user_id": "UL0RE", "bot_id": "BL0RE", "team_id": "T0TEAM"}
		case "conversations.open":
			resp["channel"] = map[string]any{"id": "D" + r.PostForm.Get("users")}
		case "files.getUploadURLExternal":
			resp["file_id"], resp["upload_url"] = "F0CHART", f.srv.URL+"/api/upload/F0CHART"
		case "chat.postMessage":
			resp["channel"], resp["ts"] = r.PostForm.Get("channel"), "1700000000.000001"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *digestSlackAPI) callsOf(method string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.calls[method]...)
}

// dueLeaders writes a leaders file whose first leader's digest is due in
// the current hour and the second's in the next (in case the test crosses
// an hour), both by direct message on Slack. A time zone is chosen so
// that the local hour is not 0, which leaders' files read as "default".
func dueLeaders(t *testing.T) string {
	t.Helper()
	var leaders []map[string]any
	for i, at := range []time.Time{time.Now(), time.Now().Add(time.Hour)} {
		zone, loc := "UTC", time.UTC
		if at.UTC().Hour() == 0 {
			zone = "Etc/GMT-1" // UTC+1
			loc, _ = time.LoadLocation(zone)
		}
		local := at.In(loc)
		leaders = append(leaders, map[string]any{
			"name": fmt.Sprintf("leader-%d", i), "time_zone": zone, "hour": local.Hour(), "weekday": int(local.Weekday()),
			"to": map[string]any{"platform": "slack", "user": fmt.Sprintf("U0LEADER%d", i)},
		})
	}
	js, _ := json.Marshal(leaders)
	path := filepath.Join(t.TempDir(), "leaders.json")
	writeFile(t, path, js)
	return path
}

// Two replicas of lore serve on one PostgreSQL, both with the leaders
// file: the leader whose morning it is gets the digest once, in a direct
// message, as Block Kit with the chart uploaded.
func TestServeSendsDueDigestOnceFromTwoReplicas(t *testing.T) {
	dbURL := postgresURL(t)
	run(t, "migrate", "--db", dbURL).wantCode(t, cli.ExitOK)
	seedLastWeek(t, dbURL, 4)
	fake := newDigestSlackAPI(t)
	env := map[string]string{
		"LORE_SLACK_MODE": "http", "LORE_SLACK_BOT_TOKEN": "xoxb-digest-test",
		"LORE_SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5", "LORE_SLACK_API_URL": fake.srv.URL + "/api/",
		"LORE_LEADERS_FILE": dueLeaders(t), "LORE_PRIVACY_K": "3",
	}
	getenv := func(k string) string { return env[k] }
	a := startServeEnv(t, getenv, "--db", dbURL)
	b := startServeEnv(t, getenv, "--db", dbURL)

	waitFor(t, "the digest is posted", 30*time.Second, func() bool { return len(fake.callsOf("chat.postMessage")) > 0 })
	// Room for a second replica's duplicate to show, were there one.
	time.Sleep(2 * time.Second)
	posts := fake.callsOf("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("%d digests posted, want 1:\n%s\n%s", len(posts), a.stderr, b.stderr)
	}
	opens := fake.callsOf("conversations.open")
	if len(opens) != 1 || !strings.HasPrefix(opens[0].Get("users"), "U0LEADER") || posts[0].Get("channel") != "D"+opens[0].Get("users") {
		t.Errorf("digest went to %q after opening %v", posts[0].Get("channel"), opens)
	}
	fake.mu.Lock()
	uploaded := fake.uploaded
	fake.mu.Unlock()
	if len(uploaded) != 1 || !bytes.HasPrefix(uploaded[0], []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%d uploads; want the chart as one PNG", len(uploaded))
	}
	if !strings.Contains(posts[0].Get("blocks"), `"slack_file":{"id":"F0CHART"}`) || !strings.Contains(posts[0].Get("blocks"), "Active learners") {
		t.Errorf("digest blocks: %s", posts[0].Get("blocks"))
	}
	if len(fake.callsOf("files.completeUploadExternal")) != 1 {
		t.Errorf("completeUploadExternal calls: %v", fake.callsOf("files.completeUploadExternal"))
	}
}

// seedLastWeek records a question and its answer by each of n people
// yesterday, so that the week's digest has figures to show.
func seedLastWeek(t *testing.T, dbURL string, n int) {
	t.Helper()
	st, err := postgres.Open(t.Context(), dbURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Now().Add(-24 * time.Hour)
	for i := range n {
		user := fmt.Sprintf("U%d", i)
		for _, e := range []store.Event{
			{ID: fmt.Sprintf("q%d", i), Time: at, Kind: store.EventQuestion, Platform: "slack", Channel: "C1", User: user, Question: "q"},
			{ID: fmt.Sprintf("a%d", i), Time: at.Add(time.Second), Kind: store.EventAnswer, Platform: "slack", Channel: "C1", User: user,
				Confident: true, DocIDs: []string{"leave"}, Question: "q"},
		} {
			if err := st.RecordEvent(t.Context(), e); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestServeRefusesBadLeadersFile(t *testing.T) {
	db := newDB(t)
	path := filepath.Join(t.TempDir(), "leaders.yaml")
	writeFile(t, path, []byte("- name: Ana\n  time_zone: Mars/Olympus\n  hour: 25\n  to: {platform: slack}\n"))
	env := map[string]string{"LORE_LEADERS_FILE": path}
	var stderr bytes.Buffer
	code := cli.RunWithEnv(t.Context(), []string{"serve", "--listen=127.0.0.1:0", db.flag()},
		cli.Stdio{In: strings.NewReader(""), Out: io.Discard, Err: &stderr}, func(k string) string { return env[k] })
	if code != cli.ExitUsage {
		t.Fatalf("exit %d, want %d:\n%s", code, cli.ExitUsage, stderr.String())
	}
	for _, want := range []string{"Mars/Olympus", "hour 25", "to.user"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("error lacks %q:\n%s", want, stderr.String())
		}
	}
}
