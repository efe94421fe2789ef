package slack

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/knowledge"
)

// digestSlack is a Slack Web API with the methods a digest uses:
// conversations.open, the three steps of a file upload, and
// chat.postMessage. It records what arrives.
type digestSlack struct {
	srv *slacktest.Server

	mu       sync.Mutex
	methods  []string
	opened   []url.Values
	uploaded []byte // the file bytes the upload URL received
	upName   string
	getURL   []url.Values
	complete []url.Values
	posts    []url.Values
	// refuseImage makes chat.postMessage answer invalid_blocks this many
	// times when the blocks hold an image, as Slack does while it still
	// processes a fresh upload.
	refuseImage int
}

func newDigestSlack(t *testing.T) *digestSlack {
	t.Helper()
	f := &digestSlack{}
	form := func(method string, r *http.Request) url.Values {
		_ = r.ParseForm()
		f.mu.Lock()
		f.methods = append(f.methods, method)
		f.mu.Unlock()
		return r.PostForm
	}
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/conversations.open", func(w http.ResponseWriter, r *http.Request) {
			v := form("conversations.open", r)
			f.mu.Lock()
			f.opened = append(f.opened, v)
			f.mu.Unlock()
			reply(w, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + v.Get("users")}})
		})
		c.Handle("/files.getUploadURLExternal", func(w http.ResponseWriter, r *http.Request) {
			v := form("files.getUploadURLExternal", r)
			f.mu.Lock()
			f.getURL = append(f.getURL, v)
			f.mu.Unlock()
			reply(w, map[string]any{"ok": true, "file_id": "F0CHART", "upload_url": f.srv.GetAPIURL() + "upload/F0CHART"})
		})
		c.Handle("/upload/F0CHART", func(w http.ResponseWriter, r *http.Request) {
			file, hdr, err := r.FormFile("file")
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			data, _ := io.ReadAll(file)
			f.mu.Lock()
			f.methods = append(f.methods, "upload")
			f.uploaded, f.upName = data, hdr.Filename
			f.mu.Unlock()
			_, _ = io.WriteString(w, "OK - 1234")
		})
		c.Handle("/files.completeUploadExternal", func(w http.ResponseWriter, r *http.Request) {
			v := form("files.completeUploadExternal", r)
			f.mu.Lock()
			f.complete = append(f.complete, v)
			f.mu.Unlock()
			reply(w, map[string]any{"ok": true, "files": []any{map[string]any{"id": "F0CHART", "title": "Lore weekly digest"}}})
		})
		c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
			v := form("chat.postMessage", r)
			f.mu.Lock()
			f.posts = append(f.posts, v)
			refuse := f.refuseImage > 0 && strings.Contains(v.Get("blocks"), `"slack_file"`)
			if refuse {
				f.refuseImage--
			}
			f.mu.Unlock()
			if refuse {
				reply(w, map[string]any{"ok": false, "error": "invalid_blocks"})
				return
			}
			reply(w, map[string]any{"ok": true, "channel": v.Get("channel"), "ts": "1700000000.000001"})
		})
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func newDigestAdapter(t *testing.T, f *digestSlack) *Adapter {
	t.Helper()
	st := openStore(t)
	a, err := New(Config{
		Mode: ModeSocket, AppToken: testAppToken, BotToken: testBotToken, SigningSecret: testSecret,
		APIURL: f.srv.GetAPIURL(), Logger: slog.New(slog.DiscardHandler),
	}, &fakeCore{}, Deps{Claims: st, People: st})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testDigest is a digest whose text comes partly from people and
// documents, with what would ping a channel or forge a link.
func testDigest() engagement.Message {
	change := 0.25
	d := engagement.Digest{
		Since: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),
		K: 5, WithheldDays: 2,
		Headline: []engagement.Figure{
			{Key: engagement.FigActiveLearners, Label: "Active learners", Value: 40, Previous: 32, Change: &change},
			{Key: engagement.FigAnswerRate, Label: "Answer rate", Value: 0.8, Ratio: true, Delta: 0.05},
		},
		Gaps:   []engagement.Gap{{Gap: knowledge.Gap{Question: "who approves <!channel> expenses @here?\nurgent", Count: 7}, Owner: "<@U999> finance"}},
		Review: []engagement.DocUse{{ID: "d1", Title: "Travel <https://evil.example|policy> & @everyone", Citations: 12, Unhelpful: 4}, {ID: "d2", Title: "Parking", Citations: 1}},
	}
	chart := []byte("\x89PNG\r\n\x1a\nchart bytes for the test")
	return engagement.Message{Digest: d, Reply: d.Reply(), Chart: chart, ChartName: "lore-digest-2026-03-09.png"}
}

func TestSendDigestToDirectMessageUploadsChart(t *testing.T) {
	f := newDigestSlack(t)
	a := newDigestAdapter(t, f)
	m := testDigest()
	if err := a.SendDigest(t.Context(), engagement.Destination{Platform: "slack", User: "U0LEADER"}, m); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	want := []string{"conversations.open", "files.getUploadURLExternal", "upload", "files.completeUploadExternal", "chat.postMessage"}
	if strings.Join(f.methods, ",") != strings.Join(want, ",") {
		t.Fatalf("calls %v, want %v", f.methods, want)
	}
	if got := f.opened[0].Get("users"); got != "U0LEADER" {
		t.Errorf("conversations.open users=%q", got)
	}
	if !bytes.Equal(f.uploaded, m.Chart) || f.upName != m.ChartName {
		t.Errorf("uploaded %q as %q, want the chart's bytes as %q", f.uploaded, f.upName, m.ChartName)
	}
	if got := f.getURL[0].Get("length"); got != strconv.Itoa(len(m.Chart)) {
		t.Errorf("files.getUploadURLExternal length=%s, want the chart's %d bytes", got, len(m.Chart))
	}
	var files []map[string]string
	if err := json.Unmarshal([]byte(f.complete[0].Get("files")), &files); err != nil || len(files) != 1 || files[0]["id"] != "F0CHART" {
		t.Errorf("completeUploadExternal files=%s (%v)", f.complete[0].Get("files"), err)
	}
	if ch := f.complete[0].Get("channel_id") + f.complete[0].Get("channels"); ch != "" {
		t.Errorf("the chart was shared to %q on its own; it belongs in the digest message", ch)
	}
	post := f.posts[0]
	if post.Get("channel") != "DU0LEADER" {
		t.Errorf("posted to %q, want the leader's DM", post.Get("channel"))
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(post.Get("blocks")), &blocks); err != nil {
		t.Fatal(err)
	}
	var image map[string]any
	for _, b := range blocks {
		if b["type"] == "image" {
			image = b
		}
	}
	if image == nil {
		t.Fatalf("no image block in %s", post.Get("blocks"))
	}
	if sf, _ := image["slack_file"].(map[string]any); sf["id"] != "F0CHART" {
		t.Errorf("image block %v does not show the uploaded file", image)
	}
	raw := unescapedJSON(t, blocks)
	for _, bad := range []string{"<!channel>", "<@U999>", "<https://evil", " & ", "@here", "@everyone"} {
		if strings.Contains(raw, bad) {
			t.Errorf("blocks carry unescaped %q: %s", bad, raw)
		}
	}
	for _, good := range []string{"&lt;!channel&gt;", "Active learners", "40 (+25%)", "80% (+5 pts)", "asked 7 times", "cited 12 times, 4 👎", "Parking: cited 1 time, 0 👎",
		"2 days with fewer than 5 people are left out of these figures (shaded on the chart)."} {
		if !strings.Contains(raw, good) {
			t.Errorf("blocks lack %q: %s", good, raw)
		}
	}
	if !strings.Contains(post.Get("text"), "Lore weekly digest, 2 Mar to 8 Mar 2026") {
		t.Errorf("notification text %q", post.Get("text"))
	}
}

func TestSendDigestToChannel(t *testing.T) {
	f := newDigestSlack(t)
	a := newDigestAdapter(t, f)
	if err := a.SendDigest(t.Context(), engagement.Destination{Platform: "slack", Channel: "C0LEADS"}, testDigest()); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.opened) != 0 || len(f.posts) != 1 || f.posts[0].Get("channel") != "C0LEADS" {
		t.Errorf("opened %v, posts %v", f.opened, f.posts)
	}
}

// Slack may refuse an image block while it processes a fresh upload: the
// digest is posted again after a pause.
func TestSendDigestWaitsForChartProcessing(t *testing.T) {
	saved := digestImageWaits
	digestImageWaits = []time.Duration{time.Millisecond, time.Millisecond}
	t.Cleanup(func() { digestImageWaits = saved })

	t.Run("ready on the second try", func(t *testing.T) {
		f := newDigestSlack(t)
		f.refuseImage = 1
		if err := newDigestAdapter(t, f).SendDigest(t.Context(), engagement.Destination{Platform: "slack", Channel: "C0LEADS"}, testDigest()); err != nil {
			t.Fatal(err)
		}
		if len(f.posts) != 2 || !strings.Contains(f.posts[1].Get("blocks"), "F0CHART") {
			t.Errorf("%d posts; the second should carry the chart", len(f.posts))
		}
	})
	t.Run("never ready: sent without the chart", func(t *testing.T) {
		f := newDigestSlack(t)
		f.refuseImage = 100
		if err := newDigestAdapter(t, f).SendDigest(t.Context(), engagement.Destination{Platform: "slack", Channel: "C0LEADS"}, testDigest()); err != nil {
			t.Fatal(err)
		}
		last := f.posts[len(f.posts)-1]
		if len(f.posts) != 4 || strings.Contains(last.Get("blocks"), "slack_file") || !strings.Contains(last.Get("blocks"), "Top content gaps") {
			t.Errorf("%d posts, last blocks %s", len(f.posts), last.Get("blocks"))
		}
	})
}

func TestSendDigestRefusesBadDestinations(t *testing.T) {
	f := newDigestSlack(t)
	a := newDigestAdapter(t, f)
	for _, to := range []engagement.Destination{
		{Platform: "discord", User: "U0LEADER"},
		{Platform: "slack"},
		{Platform: "slack", User: "U0LEADER", Channel: "C0LEADS"},
		{Platform: "slack", User: "alice"},
		{Platform: "slack", Channel: "#leads"},
	} {
		if err := a.SendDigest(t.Context(), to, testDigest()); err == nil {
			t.Errorf("SendDigest to %+v succeeded", to)
		}
	}
	if len(f.methods) != 0 {
		t.Errorf("calls for bad destinations: %v", f.methods)
	}
}

func TestDigestBlocksWithheld(t *testing.T) {
	d := testDigest().Digest
	d.Withheld = true
	js, _ := json.Marshal(digestBlocks(d, "F1"))
	if strings.Contains(string(js), "F1") || strings.Contains(string(js), "content gaps") || !strings.Contains(string(js), "Too few people") {
		t.Errorf("withheld digest blocks: %s", js)
	}
}

// unescapedJSON writes v as JSON without Go's \u0026-style escapes, so
// that the test reads what Slack reads.
func unescapedJSON(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
