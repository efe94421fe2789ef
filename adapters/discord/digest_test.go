package discord

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/knowledge"
)

// digestTransport is Discord's REST API as an http.RoundTripper: it opens
// DM channels and takes messages, recording each request.
type digestTransport struct {
	mu   sync.Mutex
	reqs []digestRequest
}

type digestRequest struct {
	Method, Path, ContentType string
	Body                      []byte
}

func (tr *digestTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	tr.mu.Lock()
	tr.reqs = append(tr.reqs, digestRequest{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: body})
	tr.mu.Unlock()
	answer := func(v any) (*http.Response, error) {
		js, _ := json.Marshal(v)
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(js)), Request: r}, nil
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v9/users/@me/channels":
		var req struct {
			Recipient string `json:"recipient_id"`
		}
		_ = json.Unmarshal(body, &req)
		return answer(map[string]any{"id": "77" + req.Recipient, "type": 1})
	case r.Method == http.MethodPost && reMessages.MatchString(r.URL.Path):
		return answer(map[string]any{"id": "5555", "channel_id": reMessages.FindStringSubmatch(r.URL.Path)[1]})
	}
	return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"message":"404: Not Found","code":0}`)), Request: r}, nil
}

func (tr *digestTransport) requests() []digestRequest {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]digestRequest(nil), tr.reqs...)
}

func newDigestAdapter(t *testing.T, tr *digestTransport) *Adapter {
	t.Helper()
	a, err := New(Config{Token: testToken, AppID: testApp, HTTPClient: &http.Client{Transport: tr, Timeout: 5 * time.Second},
		Logger: slog.New(slog.DiscardHandler)}, &fakeCore{}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func testDigestMessage() engagement.Message {
	change := -0.1
	d := engagement.Digest{
		Since: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),
		K: 5, WithheldDays: 2,
		Headline: []engagement.Figure{
			{Key: engagement.FigQuestions, Label: "Questions asked", Value: 90, Previous: 100, Change: &change},
			{Key: engagement.FigHelpfulness, Label: "Helpfulness", Value: 0.7, Ratio: true, Delta: -0.02},
		},
		Gaps:   []engagement.Gap{{Gap: knowledge.Gap{Question: "@everyone what is the *VPN* [link](https://evil.example)?", Count: 5}, Owner: "<@12345>"}},
		Review: []engagement.DocUse{{ID: "d1", Title: "Security <@&999> policy", Citations: 3, Unhelpful: 2}, {ID: "d2", Title: "Parking", Citations: 1}},
	}
	return engagement.Message{Digest: d, Reply: d.Reply(), Chart: []byte("\x89PNG\r\n\x1a\nthe chart"), ChartName: "lore-digest-2026-03-09.png"}
}

// multipartMessage splits a multipart message send into its JSON payload
// and its files by name.
func multipartMessage(t *testing.T, r digestRequest) (map[string]any, map[string][]byte, map[string]string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.ContentType)
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("message content type %q, want multipart/form-data", r.ContentType)
	}
	var payload map[string]any
	files := map[string][]byte{}
	types := map[string]string{}
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		if p.FormName() == "payload_json" {
			if err := json.Unmarshal(data, &payload); err != nil {
				t.Fatalf("payload_json: %v", err)
			}
			continue
		}
		files[p.FileName()] = data
		types[p.FileName()] = p.Header.Get("Content-Type")
	}
	return payload, files, types
}

func TestSendDigestAttachesChartToEmbed(t *testing.T) {
	tr := &digestTransport{}
	a := newDigestAdapter(t, tr)
	m := testDigestMessage()
	if err := a.SendDigest(t.Context(), engagement.Destination{Platform: "discord", User: "4242"}, m); err != nil {
		t.Fatal(err)
	}
	reqs := tr.requests()
	if len(reqs) != 2 || reqs[0].Path != "/api/v9/users/@me/channels" || reqs[1].Path != "/api/v9/channels/774242/messages" {
		t.Fatalf("requests %+v", reqs)
	}
	payload, files, types := multipartMessage(t, reqs[1])
	if !bytes.Equal(files[m.ChartName], m.Chart) || types[m.ChartName] != "image/png" {
		t.Fatalf("attachments %v (%v), want the chart as %s", files, types, m.ChartName)
	}
	embeds, _ := payload["embeds"].([]any)
	if len(embeds) != 1 {
		t.Fatalf("payload %v", payload)
	}
	embed := embeds[0].(map[string]any)
	if img, _ := embed["image"].(map[string]any); img["url"] != "attachment://"+m.ChartName {
		t.Errorf("embed image %v, want attachment://%s", embed["image"], m.ChartName)
	}
	fields, _ := embed["fields"].([]any)
	if len(fields) != 2 || fields[0].(map[string]any)["value"] != "90 (-10%)" || fields[1].(map[string]any)["value"] != "70% (-2 pts)" {
		t.Errorf("fields %v", fields)
	}
	desc, _ := embed["description"].(string)
	for _, bad := range []string{"@everyone", "<@12345>", "<@&999>", "[link](https"} {
		if strings.Contains(desc, bad) {
			t.Errorf("description carries %q: %s", bad, desc)
		}
	}
	for _, good := range []string{"**Top content gaps**", `\*VPN\*`, "asked 5 times", "cited 3 times, 2 👎", "Parking: cited 1 time, 0 👎",
		"*2 days with fewer than 5 people are left out of these figures (shaded on the chart).*"} {
		if !strings.Contains(desc, good) {
			t.Errorf("description lacks %q: %s", good, desc)
		}
	}
	if am, _ := payload["allowed_mentions"].(map[string]any); am == nil || len(am["parse"].([]any)) != 0 {
		t.Errorf("allowed_mentions %v, want parse: []", payload["allowed_mentions"])
	}
}

func TestSendDigestToChannelAndBadDestinations(t *testing.T) {
	tr := &digestTransport{}
	a := newDigestAdapter(t, tr)
	if err := a.SendDigest(t.Context(), engagement.Destination{Platform: "discord", Channel: "8888"}, testDigestMessage()); err != nil {
		t.Fatal(err)
	}
	if reqs := tr.requests(); len(reqs) != 1 || reqs[0].Path != "/api/v9/channels/8888/messages" {
		t.Fatalf("requests %+v", reqs)
	}
	for _, to := range []engagement.Destination{
		{Platform: "slack", Channel: "8888"},
		{Platform: "discord"},
		{Platform: "discord", User: "1", Channel: "2"},
		{Platform: "discord", User: "alice"},
		{Platform: "discord", Channel: "#leads"},
	} {
		if err := a.SendDigest(t.Context(), to, testDigestMessage()); err == nil {
			t.Errorf("SendDigest to %+v succeeded", to)
		}
	}
	if n := len(tr.requests()); n != 1 {
		t.Errorf("%d requests after bad destinations, want none more", n)
	}
}

func TestSendDigestWithheldHasNoChart(t *testing.T) {
	m := testDigestMessage()
	m.Digest.Withheld = true
	send := digestMessage(m)
	if len(send.Files) != 0 || send.Embeds[0].Image != nil || !strings.Contains(send.Embeds[0].Description, "Too few people") {
		t.Errorf("withheld digest %+v", send.Embeds[0])
	}
}
