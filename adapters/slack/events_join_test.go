package slack

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
)

// joinRecorder is a JoinHandler that records the joins it hears of.
type joinRecorder struct {
	mu    sync.Mutex
	joins []bot.Join
	seen  chan struct{}
}

func (r *joinRecorder) HandleJoin(_ context.Context, j bot.Join) error {
	r.mu.Lock()
	r.joins = append(r.joins, j)
	r.mu.Unlock()
	r.seen <- struct{}{}
	return nil
}

// Recorded team_join and member_joined_channel deliveries reach the core
// as joins of the workspace and of the channel; a bot joining the
// workspace and Lore joining a channel do not.
func TestJoinEventsReachTheCore(t *testing.T) {
	rec := &joinRecorder{seen: make(chan struct{}, 8)}
	h := newHarness(t, &fakeCore{}, func(_ *Config, d *Deps) { d.Joins = rec })
	h.runSocket(t)

	self, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": "T1", "event_id": "Ev0JOIN004",
		"event": map[string]any{"type": "member_joined_channel", "user": "UBOT", "channel": "C0WELCOME", "team": "T1"}})
	for _, payload := range [][]byte{
		readTestdata(t, "team_join_bot.json"),
		self,
		readTestdata(t, "team_join.json"),
		readTestdata(t, "member_joined_channel.json"),
	} {
		h.sendSocket(t, "events_api", payload)
	}
	for range 2 {
		select {
		case <-rec.seen:
		case <-time.After(10 * time.Second):
			t.Fatal("a join did not reach the core")
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := h.a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// Events are handled concurrently, so the joins come in either order.
	slices.SortFunc(rec.joins, func(a, b bot.Join) int { return strings.Compare(a.Channel, b.Channel) })
	want := []bot.Join{
		{Platform: "slack", Workspace: "T1", User: "U9NEW"},
		{Platform: "slack", Workspace: "T1", Channel: "C0WELCOME", User: "U1"},
	}
	if len(rec.joins) != 2 || rec.joins[0] != want[0] || rec.joins[1] != want[1] {
		t.Fatalf("joins %+v, want %+v", rec.joins, want)
	}
}

// A team_join's user object parses; its id is the event's user, and a
// malformed one is refused as malformed rather than read as nobody.
func TestTeamJoinPayloadParses(t *testing.T) {
	env, err := parseEnvelope(readTestdata(t, "team_join.json"))
	if err != nil {
		t.Fatal(err)
	}
	if env.Event.User != "U9NEW" || env.Event.Joined == nil || env.Event.Joined.IsBot {
		t.Fatalf("event %+v", env.Event)
	}
	bad := strings.Replace(string(readTestdata(t, "team_join.json")), `"id": "U9NEW"`, `"id": 42`, 1)
	if _, err := parseEnvelope([]byte(bad)); err == nil {
		t.Fatal("a user object with a numeric id parsed")
	}
	mention, err := parseEnvelope(readTestdata(t, "app_mention.json"))
	if err != nil || mention.Event.User == "" || mention.Event.Joined != nil {
		t.Fatalf("app_mention after the change: %+v, %v", mention.Event, err)
	}
}
