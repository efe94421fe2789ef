package discord

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/handbook"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// handbookBot is the real core over a SQLite store holding the bundled
// sample handbook.
func handbookBot(t *testing.T) (*bot.Bot, store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{Dimensions: embed.DefaultDimensions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	k := knowledge.New(st, knowledge.Options{})
	docs, _ := fs.Sub(handbook.Docs, "docs")
	if _, err := k.IngestFS(ctx, docs, "handbook", "handbook"); err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Knowledge: k, Events: st})
	if err != nil {
		t.Fatal(err)
	}
	return b, st
}

// runAdapter starts a on the fake gateway and returns once READY has been
// handled; the adapter stops at the end of the test.
func runAdapter(t *testing.T, f *fakeDiscord, a *Adapter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
		a.Close()
	})
	select {
	case <-f.conns:
	case err := <-errc:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no gateway connection")
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.selfID() == "" {
		if time.Now().After(deadline) {
			t.Fatal("READY was not handled")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func interactionPayload(id, typ int, data any) map[string]any {
	return map[string]any{
		"id": strings.Repeat("5", 5) + string(rune('0'+id)), "application_id": testApp, "type": typ,
		"token": "interaction-token-" + string(rune('a'+id)), "version": 1,
		"guild_id": testGuild, "channel_id": "4444",
		"member": map[string]any{"user": map[string]any{"id": "6666", "username": "alice"}},
		"data":   data,
	}
}

func askCommand(question string) map[string]any {
	return map[string]any{"id": "7777", "name": "lore", "type": 1, "options": []any{
		map[string]any{"name": "ask", "type": 1, "options": []any{
			map[string]any{"name": "question", "type": 3, "value": question},
		}},
	}}
}

// TestEndToEndSlashCommandAndFeedback drives the whole path through the
// fake gateway: /lore ask is deferred, then answered from the handbook with
// an embed per source and feedback buttons; pressing Helpful records the
// feedback in the store.
func TestEndToEndSlashCommandAndFeedback(t *testing.T) {
	f := newFakeDiscord(t)
	core, st := handbookBot(t)
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), core)
	runAdapter(t, f, a)

	// Commands were registered for the development guild before the
	// gateway connected.
	reg := f.recorded(http.MethodPut, regexp.MustCompile(`^/api/v9/applications/1111/guilds/2222/commands$`))
	if len(reg) != 1 {
		t.Fatalf("command registration: %d requests: %s", len(reg), f.dump())
	}
	var cmds []struct {
		Name    string `json:"name"`
		Options []struct {
			Name string `json:"name"`
		} `json:"options"`
		Contexts []int `json:"contexts"`
	}
	if err := json.Unmarshal(reg[0].Body, &cmds); err != nil || len(cmds) != 1 || cmds[0].Name != "lore" || len(cmds[0].Options) != 2 ||
		cmds[0].Options[0].Name != "ask" || cmds[0].Options[1].Name != "help" {
		t.Fatalf("registered commands: %s (%v)", reg[0].Body, err)
	}
	// Servers and Lore's own DMs (0, 1), never group DMs (2).
	if !slices.Equal(cmds[0].Contexts, []int{0, 1}) {
		t.Errorf("/lore registered for contexts %v, want [0 1]", cmds[0].Contexts)
	}
	if reg[0].Auth != "Bot "+testToken {
		t.Errorf("REST authorization = %q", reg[0].Auth)
	}
	var ident struct {
		Op int `json:"op"`
		D  struct {
			Intents int `json:"intents"`
		} `json:"d"`
	}
	if err := json.Unmarshal(f.identified(), &ident); err != nil || ident.Op != 2 {
		t.Fatalf("identify: %s", f.identified())
	}
	if want := 1<<0 | 1<<9 | 1<<12; ident.D.Intents != want {
		t.Errorf("intents = %b, want %b (guilds, guild messages, direct messages; no message content)", ident.D.Intents, want)
	}

	f.dispatch(t, "INTERACTION_CREATE", interactionPayload(1, 2, askCommand("how many days of annual leave do I get?")))
	cb := f.waitFor(t, 1, http.MethodPost, reCallback)
	if typ := cb[0].json(t)["type"]; typ != float64(5) {
		t.Fatalf("initial response type = %v, want 5 (deferred)", typ)
	}
	edit := f.waitFor(t, 1, http.MethodPatch, reOriginal)
	var final struct {
		Content string `json:"content"`
		Embeds  []struct {
			Title, URL, Description string
		} `json:"embeds"`
		Components []struct {
			Components []struct {
				CustomID string `json:"custom_id"`
				Label    string `json:"label"`
			} `json:"components"`
		} `json:"components"`
	}
	if err := json.Unmarshal(edit[len(edit)-1].Body, &final); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(final.Content, "27 days") {
		t.Errorf("answer = %q, want the annual leave entitlement", final.Content)
	}
	if len(final.Embeds) == 0 || !strings.Contains(final.Embeds[0].Title, "[1] Annual Leave") || !strings.Contains(final.Embeds[0].Description, "annual-leave.md") {
		t.Errorf("source embeds = %+v", final.Embeds)
	}
	if len(final.Components) != 1 || len(final.Components[0].Components) != 3 {
		t.Fatalf("buttons = %+v", final.Components)
	}
	helpful := final.Components[0].Components[0].CustomID
	id, answerID, ok := decodeCustomID(helpful)
	if !ok || id != bot.ActionHelpful || answerID == "" || len(helpful) > 100 {
		t.Fatalf("helpful custom_id = %q", helpful)
	}

	f.dispatch(t, "INTERACTION_CREATE", interactionPayload(2, 3, map[string]any{"custom_id": helpful, "component_type": 2}))
	cb = f.waitFor(t, 2, http.MethodPost, reCallback)
	if typ := cb[1].json(t)["type"]; typ != float64(6) {
		t.Fatalf("button response type = %v, want 6 (deferred update)", typ)
	}
	fu := f.waitFor(t, 1, http.MethodPost, reFollowup)
	thanks := fu[0].json(t)
	if !strings.Contains(thanks["content"].(string), "glad it helped") || thanks["flags"] != float64(64) {
		t.Errorf("feedback follow-up = %s, want an ephemeral thank-you", fu[0].Body)
	}
	events, err := st.Events(context.Background(), store.EventFilter{Kind: store.EventFeedback})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Ref != answerID || events[0].Value != 1 || events[0].User != "6666" || events[0].Platform != "discord" || events[0].Workspace != testGuild {
		t.Fatalf("feedback events = %+v, want one +1 for answer %s by 6666", events, answerID)
	}
	f.checkNoMentions(t)
	checkNoToken(t, "the log", log.String())
}

func TestRunReportsARejectedToken(t *testing.T) {
	f := newFakeDiscord(t)
	f.setFail(func(r recorded) (int, string, bool) {
		return http.StatusUnauthorized, `{"message":"401: Unauthorized","code":0}`, true
	})
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := a.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "register slash commands: HTTP 401") {
		t.Fatalf("Run = %v", err)
	}
	checkNoToken(t, "error", err.Error())
}
