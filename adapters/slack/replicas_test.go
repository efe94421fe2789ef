package slack

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

// Three replicas sharing one store receive the same event at once (a
// retry reaching each, say): exactly one answers.
func TestReplicasAnswerOnce(t *testing.T) {
	core := &fakeCore{}
	h := newHarness(t, core, nil)
	replicas := []*Adapter{h.a}
	for range 2 {
		a, err := New(h.a.cfg, core, Deps{Claims: h.store, People: h.store})
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, a)
	}
	env, err := parseEnvelope(readTestdata(t, "app_mention.json"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, a := range replicas {
		if err := a.Identify(t.Context()); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if fresh, err := a.checkEvent(t.Context(), env); err == nil && fresh && a.claimEvent(t.Context(), env) {
				a.handleEnvelope(t.Context(), env)
			}
		})
	}
	wg.Wait()
	for _, a := range replicas {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		_ = a.Wait(ctx)
		cancel()
	}
	if n := len(core.messages()); n != 1 {
		t.Errorf("core asked %d times by 3 replicas, want 1", n)
	}
	if n := len(h.fake.callsOf("chat.postMessage")); n != 1 {
		t.Errorf("%d answers posted, want 1", n)
	}
}

// failingClaims is a store that has gone away.
type failingClaims struct{}

func (failingClaims) Claim(context.Context, string, time.Duration) (bool, error) {
	return false, errors.Join(store.ErrUnavailable, errors.New("connection refused"))
}

func (failingClaims) Claimed(context.Context, string) (bool, error) {
	return false, errors.Join(store.ErrUnavailable, errors.New("connection refused"))
}

// switchableClaims fails while down is set, as a database that restarts.
type switchableClaims struct {
	Claims
	down atomic.Bool
}

func (c *switchableClaims) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if c.down.Load() {
		return failingClaims{}.Claim(ctx, key, ttl)
	}
	return c.Claims.Claim(ctx, key, ttl)
}

func (c *switchableClaims) Claimed(ctx context.Context, key string) (bool, error) {
	if c.down.Load() {
		return failingClaims{}.Claimed(ctx, key)
	}
	return c.Claims.Claimed(ctx, key)
}

// Without the database an event is not acknowledged (503 over HTTP), so
// that Slack delivers it again; the redelivery after the database is back
// is answered, once.
func TestDatabaseGoneEventsAreRedelivered(t *testing.T) {
	core := &fakeCore{}
	var claims *switchableClaims
	h := newHTTPHarness(t, core, func(_ *Config, d *Deps) {
		claims = &switchableClaims{Claims: d.Claims}
		d.Claims = claims
	})
	body := readTestdata(t, "app_mention.json")
	claims.down.Store(true)
	srv := h.a.Handler()
	post := func(headers ...string) int {
		return serve(srv, signed(t, "/slack/events", "application/json", body, httpNow, headers...)).Code
	}
	if code := post(); code != http.StatusServiceUnavailable {
		t.Fatalf("event with the database down: %d, want 503", code)
	}
	if n := len(core.messages()); n != 0 {
		t.Fatalf("the core was asked %d times with the database down", n)
	}
	if !strings.Contains(h.logs.String(), "Slack to deliver again") {
		t.Errorf("log lacks the refusal:\n%s", h.logs.String())
	}
	claims.down.Store(false)
	for range 2 { // Slack's redelivery, then a duplicate of it
		if code := post("X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_error"); code != http.StatusOK {
			t.Fatalf("redelivery: %d", code)
		}
	}
	h.fake.waitCalls("chat.postMessage", 1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_ = h.a.Wait(ctx)
	if n := len(h.fake.callsOf("chat.postMessage")); n != 1 {
		t.Fatalf("%d answers after the redeliveries, want 1", n)
	}
}

// cutClaims writes each event's first claim and then reports it failed, as
// PostgreSQL does for a claim whose connection is cut after the server
// received it (store/postgres TestCutClaimMayStillBeTaken).
type cutClaims struct {
	Claims
	mu  sync.Mutex
	cut map[string]bool
}

func (c *cutClaims) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	first, err := c.Claims.Claim(ctx, key, ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || !strings.HasPrefix(key, "slack:event:") || c.cut[key] {
		return first, err
	}
	c.cut[key] = true
	return false, errors.Join(store.ErrUnavailable, errors.New("unexpected EOF"))
}

// An event whose claim was written but reported failed (its connection
// cut in flight) is answered, once: neither the delivery that made the
// claim nor Slack's redeliveries, which find the claim held, drop it.
func TestCutClaimIsAnsweredOnce(t *testing.T) {
	core := &fakeCore{}
	h := newHTTPHarness(t, core, func(_ *Config, d *Deps) { d.Claims = &cutClaims{Claims: d.Claims, cut: map[string]bool{}} })
	srv := h.a.Handler()
	body := readTestdata(t, "app_mention.json")
	codes := []int{serve(srv, signed(t, "/slack/events", "application/json", body, httpNow)).Code}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_ = h.a.Wait(ctx)
	for retry := range 2 { // Slack's redeliveries, whether or not the first was acknowledged
		r := signed(t, "/slack/events", "application/json", body, httpNow,
			"X-Slack-Retry-Num", strconv.Itoa(retry+1), "X-Slack-Retry-Reason", "http_error")
		codes = append(codes, serve(srv, r).Code)
	}
	_ = h.a.Wait(ctx)
	if n := len(h.fake.callsOf("chat.postMessage")); n != 1 {
		t.Fatalf("%d answers to an event whose claim was cut in flight (deliveries answered %v), want 1", n, codes)
	}
	if n := len(core.messages()); n != 1 {
		t.Errorf("core asked %d times, want 1", n)
	}
}

// refusingClaims refuses every key outright, as a store refuses a key no
// claim can have.
type refusingClaims struct{ Claims }

func (refusingClaims) Claim(context.Context, string, time.Duration) (bool, error) {
	return false, store.Invalid("claim key refused")
}

func (refusingClaims) Claimed(context.Context, string) (bool, error) {
	return false, store.Invalid("claim key refused")
}

// An event whose claim the store refuses outright, which a redelivery
// would meet again, is acknowledged and answered anyway.
func TestRefusedClaimIsAnswered(t *testing.T) {
	core := &fakeCore{}
	h := newHTTPHarness(t, core, func(_ *Config, d *Deps) { d.Claims = refusingClaims{d.Claims} })
	if code := serve(h.a.Handler(), signed(t, "/slack/events", "application/json", readTestdata(t, "app_mention.json"), httpNow)).Code; code != http.StatusOK {
		t.Fatalf("event whose claim is refused: %d, want 200", code)
	}
	h.fake.waitCalls("chat.postMessage", 1)
	if !strings.Contains(h.logs.String(), "handling it anyway") {
		t.Errorf("the refused claim was not logged:\n%s", h.logs.String())
	}
}

// /lore over Socket Mode: acknowledged on the socket, answered through
// the response_url.
func TestSocketSlashCommand(t *testing.T) {
	h := newHarness(t, &fakeCore{}, nil)
	h.runSocket(t)
	h.sendSocket(t, "slash_commands", []byte(`{"command":"/lore","text":"help","team_id":"T1","channel_id":"C1","user_id":"U1","response_url":"`+h.fake.responseURL()+`"}`))
	resp := h.fake.waitCalls("hooks/response", 1)[0]
	if resp.JSON["response_type"] != "ephemeral" || !strings.Contains(strings.ToLower(toJSON(resp.JSON["blocks"])), "/lore ask question") {
		t.Errorf("help over socket mode: %v", resp.JSON)
	}
	// A malformed command is acknowledged (so Slack does not retry it)
	// and dropped with a warning.
	h.sendSocket(t, "slash_commands", []byte(`{"command":"/lore"}`))
	h.fake.waitFor("the warning", func() bool { return strings.Contains(h.logs.String(), "slash command dropped") })
}

// Slack closes a socket and delivers again on the next one: Lore
// reconnects, and an event it has answered is not answered again.
func TestSocketReconnectRedelivery(t *testing.T) {
	core := &fakeCore{}
	h := newHarness(t, core, nil)
	h.runSocket(t)
	mention := readTestdata(t, "app_mention.json")
	h.sendSocket(t, "events_api", mention)
	h.fake.waitCalls("chat.postMessage", 1)

	h.fake.dropSocket <- struct{}{}
	h.fake.waitCalls("apps.connections.open", 2)
	h.sendSocket(t, "events_api", mention)
	h.sendSocket(t, "events_api", withEvent(t, "app_mention.json", "Ev-after-reconnect", func(ev map[string]any) { ev["ts"] = "1515449999.000001" }))
	h.fake.waitCalls("chat.postMessage", 2)
	_ = h.a.Wait(t.Context())
	if n := len(core.messages()); n != 2 {
		t.Errorf("core asked %d times, want 2: the redelivered event once, the new one once", n)
	}
}

// blockingClaims waits for its context, as a database too busy to answer.
type blockingClaims struct{ Claims }

func (blockingClaims) Claim(ctx context.Context, _ string, _ time.Duration) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

func (blockingClaims) Claimed(ctx context.Context, _ string) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

// A delivery whose claim check does not finish (the request abandoned, or
// the database too slow) is neither acknowledged nor handled: Slack
// delivers it again, so handling it here could only answer it twice.
func TestAbandonedClaimIsNotHandled(t *testing.T) {
	core := &fakeCore{}
	h := newHTTPHarness(t, core, func(_ *Config, d *Deps) { d.Claims = blockingClaims{d.Claims} })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := signed(t, "/slack/events", "application/json", readTestdata(t, "app_mention.json"), httpNow).WithContext(ctx)
	if code := serve(h.a.Handler(), r).Code; code != http.StatusServiceUnavailable {
		t.Fatalf("abandoned claim: %d, want 503", code)
	}
	wctx, wcancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer wcancel()
	_ = h.a.Wait(wctx)
	if n := len(core.messages()); n != 0 {
		t.Fatalf("the core was asked %d times for an event that was not acknowledged", n)
	}
}

// Beyond MaxInFlight events being handled, a replica refuses more (503)
// instead of queueing them, and takes them again once one finishes.
func TestEventsBeyondMaxInFlightAreRefused(t *testing.T) {
	release := make(chan struct{})
	core := &fakeCore{reply: func(bot.Message, bot.StreamFunc) bot.Reply { <-release; return bot.Reply{Text: "done"} }}
	h := newHTTPHarness(t, core, func(c *Config, _ *Deps) { c.MaxInFlight = 1 })
	srv := h.a.Handler()
	event := func(id, ts string) int {
		body := eventJSON(id, mentionEvent("<@UBOT> where is the VPN guide?", ts, ""))
		return serve(srv, signed(t, "/slack/events", "application/json", body, httpNow)).Code
	}
	if code := event("Ev-busy-1", "1700000300.000100"); code != http.StatusOK {
		t.Fatalf("first event: %d", code)
	}
	if code := event("Ev-busy-2", "1700000300.000200"); code != http.StatusServiceUnavailable {
		t.Fatalf("event beyond the limit: %d, want 503", code)
	}
	close(release)
	h.fake.waitCalls("chat.postMessage", 1)
	h.fake.waitFor("the first event's token back", func() bool { return len(h.a.inFlight) == 0 })
	if code := event("Ev-busy-2", "1700000300.000200"); code != http.StatusOK {
		t.Fatalf("the refused event delivered again: %d", code)
	}
	h.fake.waitCalls("chat.postMessage", 2)
	if !strings.Contains(h.logs.String(), "limit of events in flight") {
		t.Errorf("the refusal was not logged:\n%s", h.logs.String())
	}
}
