package lrs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/adapters/lrs"
	"github.com/lorehq/lore/adapters/lrs/lrstest"
	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

const password = "s3cret-lrs-password"

type bundle struct {
	lrs    *lrstest.LRS
	path   string
	st     *sqlite.Store
	ids    []string
	sleeps []time.Duration
	logs   bytes.Buffer
	mu     sync.Mutex
}

func setup(t *testing.T, n int) *bundle {
	t.Helper()
	b := &bundle{lrs: lrstest.Start(t, "lore", password), path: filepath.Join(t.TempDir(), "lore.db")}
	b.reopen(t)
	m, err := engagement.NewMapper("https://lore.example.com/xapi", []byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	var batch []store.Statement
	for i := range n {
		st, err := m.Statement(store.Event{ID: fmt.Sprintf("e%04d", i), Time: time.Date(2026, 3, 1, 9, 0, i, 0, time.UTC),
			Kind: store.EventQuestion, Platform: "slack", User: fmt.Sprintf("U%d", i%7)})
		if err != nil {
			t.Fatal(err)
		}
		s, err := engagement.Stored(st, "u")
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, s)
		b.ids = append(b.ids, s.ID)
	}
	if err := b.st.AddStatements(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	return b
}

// reopen closes and opens the store, as a restart of Lore does.
func (b *bundle) reopen(t *testing.T) {
	t.Helper()
	if b.st != nil {
		b.st.Close()
	}
	st, err := sqlite.Open(t.Context(), b.path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b.st = st
}

func (b *bundle) forwarder(t *testing.T, outbox lrs.Outbox, mutate ...func(*lrs.Config)) *lrs.Forwarder {
	t.Helper()
	cfg := lrs.Config{
		Endpoint: b.lrs.URL(), Username: "lore", Password: password, BatchSize: 100, MaxAttempts: 4,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&b.logs, nil)),
		Sleep: func(_ context.Context, d time.Duration) error {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.sleeps = append(b.sleeps, d)
			return nil
		},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	if outbox == nil {
		outbox = b.st
	}
	f, err := lrs.New(cfg, outbox)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (b *bundle) pending(t *testing.T) int {
	t.Helper()
	p, err := b.st.PendingStatements(t.Context(), 100000)
	if err != nil {
		t.Fatal(err)
	}
	return len(p)
}

func (b *bundle) wantAllDelivered(t *testing.T) {
	t.Helper()
	if got := b.lrs.IDs(); !slices.Equal(got, b.ids) {
		t.Errorf("LRS holds %d statements, want the %d in order", len(got), len(b.ids))
	}
	if n := b.pending(t); n != 0 {
		t.Errorf("%d statements left in the outbox", n)
	}
}

func TestFlushDeliversInBatches(t *testing.T) {
	b := setup(t, 250)
	n, err := b.forwarder(t, nil).Flush(t.Context())
	if err != nil || n != 250 {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	b.wantAllDelivered(t)
	if req, _ := b.lrs.Counts(); req != 3 {
		t.Errorf("%d requests, want 3 batches of at most 100", req)
	}
	// Nothing left: a second flush sends nothing.
	if n, err := b.forwarder(t, nil).Flush(t.Context()); n != 0 || err != nil {
		t.Errorf("second Flush = %d, %v", n, err)
	}
}

// Retry-After may be an HTTP date rather than seconds (RFC 9110).
func TestRetryAfterAsADate(t *testing.T) {
	b := setup(t, 3)
	b.lrs.RetryAfter = time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
	b.lrs.FailNext(http.StatusTooManyRequests)
	if n, err := b.forwarder(t, nil).Flush(t.Context()); err != nil || n != 3 {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	// HTTP dates are to the second: the wait is 2 to 3 s, far above the
	// backoff's 10 ms.
	if len(b.sleeps) != 1 || b.sleeps[0] < time.Second || b.sleeps[0] > 3*time.Second {
		t.Errorf("waits = %v, want one of 2 to 3 s, as the date asked", b.sleeps)
	}
}

// A Retry-After longer than the backoff allows is honoured, not cut
// short: the forwarder stops, and asks nothing more of the LRS until then,
// even when the next flush comes sooner.
func TestLongRetryAfterHoldsForwarding(t *testing.T) {
	b := setup(t, 3)
	b.lrs.RetryAfter = "120"
	b.lrs.FailNext(http.StatusTooManyRequests)
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := b.forwarder(t, nil, func(c *lrs.Config) { c.Clock = func() time.Time { return clock } })
	if n, err := f.Flush(t.Context()); n != 0 || !errors.Is(err, lrs.ErrRetryLater) || !strings.Contains(err.Error(), "2026-03-02T09:02:00Z") {
		t.Fatalf("Flush = %d, %v; want ErrRetryLater until 09:02", n, err)
	}
	if len(b.sleeps) != 0 {
		t.Errorf("waits = %v, want none shorter than the LRS asked", b.sleeps)
	}
	clock = clock.Add(time.Minute)
	if n, err := f.Flush(t.Context()); n != 0 || !errors.Is(err, lrs.ErrRetryLater) {
		t.Fatalf("Flush a minute later = %d, %v; want ErrRetryLater", n, err)
	}
	if req, _ := b.lrs.Counts(); req != 1 {
		t.Errorf("%d requests, want only the one refused", req)
	}
	clock = clock.Add(time.Minute)
	if n, err := f.Flush(t.Context()); n != 3 || err != nil {
		t.Fatalf("Flush two minutes later = %d, %v", n, err)
	}
	b.wantAllDelivered(t)

	// A wait of days is held for an hour at most.
	b = setup(t, 1)
	b.lrs.RetryAfter = "864000"
	b.lrs.FailNext(http.StatusTooManyRequests)
	f = b.forwarder(t, nil, func(c *lrs.Config) { c.Clock = func() time.Time { return clock } })
	if _, err := f.Flush(t.Context()); !errors.Is(err, lrs.ErrRetryLater) {
		t.Fatalf("Flush = %v, want ErrRetryLater", err)
	}
	clock = clock.Add(time.Hour)
	if n, err := f.Flush(t.Context()); n != 1 || err != nil {
		t.Fatalf("Flush an hour later = %d, %v", n, err)
	}
}

func TestRetriesOn429And5xx(t *testing.T) {
	b := setup(t, 10)
	b.lrs.FailNext(http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway)
	n, err := b.forwarder(t, nil).Flush(t.Context())
	if err != nil || n != 10 {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	b.wantAllDelivered(t)
	if len(b.sleeps) != 3 || b.sleeps[0] < time.Second {
		t.Errorf("waits = %v, want three, the first honouring Retry-After: 1", b.sleeps)
	}
	if b.sleeps[2] > 40*time.Millisecond {
		t.Errorf("waits = %v, want the 5xx ones within the backoff bounds", b.sleeps)
	}
}

func TestSplitsOn413(t *testing.T) {
	b := setup(t, 100)
	b.lrs.MaxBatch = 30
	n, err := b.forwarder(t, nil).Flush(t.Context())
	if err != nil || n != 100 {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	b.wantAllDelivered(t)
	if _, posted := b.lrs.Counts(); posted != 100 {
		t.Errorf("LRS received %d statements, want each once", posted)
	}
}

func TestKnownIDIsSuccess(t *testing.T) {
	b := setup(t, 8)
	// The LRS already has statement 3, as another copy (other bytes).
	b.lrs.Put(b.ids[3], []byte(`{"id":"`+b.ids[3]+`","verb":{"id":"x"}}`))
	n, err := b.forwarder(t, nil).Flush(t.Context())
	if err != nil || n != 8 {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	if b.pending(t) != 0 {
		t.Error("statements left in the outbox")
	}
	if len(b.lrs.IDs()) != 8 {
		t.Errorf("LRS holds %d statements", len(b.lrs.IDs()))
	}
}

// A crash after the LRS stored a batch but before the outbox heard of it
// sends the batch again; the LRS takes it as the same statements.
type forgetfulOutbox struct {
	lrs.Outbox
	fail int
}

func (o *forgetfulOutbox) MarkForwarded(ctx context.Context, ids []string) error {
	if o.fail > 0 {
		o.fail--
		return errors.New("crash")
	}
	return o.Outbox.MarkForwarded(ctx, ids)
}

func TestResendAfterCrashIsIdempotent(t *testing.T) {
	b := setup(t, 50)
	if _, err := b.forwarder(t, &forgetfulOutbox{Outbox: b.st, fail: 1}).Flush(t.Context()); err == nil {
		t.Fatal("Flush hid the failed outbox write")
	}
	if b.pending(t) != 50 {
		t.Fatal("the outbox lost statements the LRS may not have")
	}
	if _, err := b.forwarder(t, nil).Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	b.wantAllDelivered(t)
}

func TestBothSidesRestart(t *testing.T) {
	b := setup(t, 120)
	b.lrs.Stop()
	n, err := b.forwarder(t, nil).Flush(t.Context())
	if !errors.Is(err, lrs.ErrRetryLater) || n != 0 {
		t.Fatalf("Flush with the LRS down = %d, %v; want ErrRetryLater", n, err)
	}
	if b.pending(t) != 120 {
		t.Fatal("statements lost while the LRS was down")
	}
	// Lore restarts too; the outbox is in the database.
	b.reopen(t)
	b.lrs.Restart(t)
	// The LRS restarts again between flushes, while one batch went and
	// one still waits.
	f := b.forwarder(t, nil, func(c *lrs.Config) { c.MaxAttempts = 2 })
	b.lrs.FailAfter(1, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	n, err = f.Flush(t.Context())
	if !errors.Is(err, lrs.ErrRetryLater) || n != 100 {
		t.Fatalf("Flush with the LRS failing after one batch = %d, %v", n, err)
	}
	if b.pending(t) != 20 {
		t.Fatalf("%d statements pending, want the 20 of the second batch", b.pending(t))
	}
	b.lrs.Restart(t)
	b.reopen(t)
	if _, err := b.forwarder(t, nil).Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	b.wantAllDelivered(t)
}

// A statement the LRS refuses as malformed (400) does not hold back the
// others for good: the batch is split down to it, the others are
// forwarded, and it leaves the outbox with an error in the log. It stays in
// the store, for lore export statements.
func TestOneMalformedStatementDoesNotBlockTheOutbox(t *testing.T) {
	b := setup(t, 150)
	bad := b.ids[3]
	b.lrs.Refuse(bad)
	n, err := b.forwarder(t, nil).Flush(t.Context())
	if err != nil || n != 149 {
		t.Fatalf("Flush = %d, %v; want the 149 others forwarded", n, err)
	}
	want := slices.DeleteFunc(slices.Clone(b.ids), func(id string) bool { return id == bad })
	if got := b.lrs.IDs(); !slices.Equal(got, want) {
		t.Errorf("LRS holds %d statements, want the 149 others in order", len(got))
	}
	if n := b.pending(t); n != 0 {
		t.Errorf("%d statements left in the outbox", n)
	}
	if _, posted := b.lrs.Counts(); posted != 149 {
		t.Errorf("LRS received %d statements, want each of the others once", posted)
	}
	if logs := b.logs.String(); !strings.Contains(logs, bad) || !strings.Contains(logs, "not valid") {
		t.Errorf("the log does not name the refused statement and the LRS's reason:\n%s", logs)
	}
	if all, err := b.st.Statements(t.Context(), store.StatementFilter{Limit: 1000}); err != nil || len(all) != 150 {
		t.Errorf("the store holds %d statements (%v), want all 150", len(all), err)
	}
}

// When the LRS refuses everything with 400 (a proxy that drops the version
// header, say), nothing is dropped: the fault is not the statements'.
func TestAnLRSRefusingEverythingKeepsTheOutbox(t *testing.T) {
	b := setup(t, 150)
	b.lrs.Refuse(b.ids...)
	n, err := b.forwarder(t, nil).Flush(t.Context())
	if !errors.Is(err, lrs.ErrRejected) || n != 0 {
		t.Fatalf("Flush = %d, %v; want ErrRejected", n, err)
	}
	if n := b.pending(t); n != 150 {
		t.Errorf("%d statements in the outbox, want all 150 kept", n)
	}
	if req, _ := b.lrs.Counts(); req > 20 {
		t.Errorf("%d requests to find that the LRS refuses everything", req)
	}
}

// An LRS that redirects (to a sign-in page, say) has not stored anything,
// even if the page it redirects to answers 200.
func TestARedirectIsNotDelivery(t *testing.T) {
	b := setup(t, 5)
	login := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>sign in</html>")) }))
	defer login.Close()
	proxy := httptest.NewServer(http.RedirectHandler(login.URL+"/login", http.StatusFound))
	defer proxy.Close()
	f := b.forwarder(t, nil, func(c *lrs.Config) { c.Endpoint = proxy.URL + "/xapi" })
	n, err := f.Flush(t.Context())
	if !errors.Is(err, lrs.ErrRejected) || n != 0 || !strings.Contains(err.Error(), "302") {
		t.Fatalf("Flush = %d, %v; want ErrRejected naming the redirect", n, err)
	}
	if n := b.pending(t); n != 5 {
		t.Errorf("%d statements in the outbox, want all 5 kept", n)
	}
}

func TestRejectedWithoutLeakingThePassword(t *testing.T) {
	b := setup(t, 5)
	f := b.forwarder(t, nil, func(c *lrs.Config) { c.Password = "wrong-" + password })
	_, err := f.Flush(t.Context())
	if !errors.Is(err, lrs.ErrRejected) || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("Flush with a wrong password = %v, want ErrRejected naming HTTP 401", err)
	}
	b.lrs.Stop()
	_, err = b.forwarder(t, nil).Flush(t.Context())
	cfg := fmt.Sprintf("%v %+v %#v", lrs.Secret(password), lrs.Config{Password: password}, lrs.Config{Password: password})
	var jsonLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("lrs", "password", lrs.Secret(password))
	marshalled, _ := json.Marshal(struct{ Password lrs.Secret }{password})
	for _, text := range []string{err.Error(), b.logs.String(), cfg, jsonLog.String(), string(marshalled)} {
		if strings.Contains(text, password) {
			t.Errorf("the password leaked: %s", text)
		}
	}
	if b.pending(t) != 5 {
		t.Error("rejected statements left the outbox")
	}
}

func TestNewRefusesBadEndpoints(t *testing.T) {
	for _, e := range []string{"", "lrs.example.com", "https://lore:" + password + "@lrs.example.com/xapi"} {
		_, err := lrs.New(lrs.Config{Endpoint: e}, nil)
		if err == nil {
			t.Errorf("New(%q) succeeded", e)
		} else if strings.Contains(err.Error(), password) {
			t.Errorf("error reveals the password: %v", err)
		}
	}
}

func TestForgetVoidsAtTheLRS(t *testing.T) {
	b := setup(t, 0)
	m, _ := engagement.NewMapper("https://lore.example.com/xapi", []byte("0123456789abcdef"))
	rec := engagement.NewRecorder(b.st, m, nil)
	if err := rec.RecordEvent(t.Context(), store.Event{ID: "q1", Time: time.Now(), Kind: store.EventQuestion, User: "ana"}); err != nil {
		t.Fatal(err)
	}
	f := b.forwarder(t, nil)
	if _, err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := engagement.Forget(t.Context(), b.st, m, "ana", false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !b.lrs.Voided(engagement.StatementID("q1")) {
		t.Error("the LRS did not receive the voiding statement")
	}
}

// A statement forwarded, then deleted here by retention, stays at the LRS;
// forgetting its person voids it there all the same.
func TestForgetVoidsAtTheLRSWhatRetentionRemoved(t *testing.T) {
	b := setup(t, 0)
	ctx := t.Context()
	m, _ := engagement.NewMapper("https://lore.example.com/xapi", []byte("0123456789abcdef"))
	rec := engagement.NewRecorder(b.st, m, nil)
	now := time.Now()
	for _, e := range []store.Event{
		{ID: "old", Time: now.AddDate(0, 0, -400), Kind: store.EventQuestion, User: "ana"},
		{ID: "recent", Time: now, Kind: store.EventQuestion, User: "ana"},
	} {
		if err := rec.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	f := b.forwarder(t, nil)
	if _, err := f.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.st.Compact(ctx, now.AddDate(0, 0, -365)); err != nil {
		t.Fatal(err)
	}
	old, recent := engagement.StatementID("old"), engagement.StatementID("recent")
	kept, err := b.st.Statements(ctx, store.StatementFilter{User: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 1 || kept[0].ID != recent {
		t.Fatalf("ana's statements after retention = %+v, want the recent one alone", kept)
	}
	res, err := engagement.Forget(ctx, b.st, m, "ana", false, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Statements, []string{recent, old}) {
		t.Errorf("forget voided %v, want %s and %s", res.Statements, recent, old)
	}
	if _, err := f.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{old, recent} {
		if !slices.Contains(b.lrs.IDs(), id) {
			t.Fatalf("the LRS never received %s", id)
		}
		if !b.lrs.Voided(id) {
			t.Errorf("the LRS keeps statement %s of a forgotten person: no voiding statement reached it", id)
		}
	}
	if ids, err := b.st.ForwardedIDs(ctx, "ana", "", 10); err != nil || len(ids) != 0 {
		t.Errorf("after the forget Lore still keeps %v, %v for ana", ids, err)
	}
}

// forgetAfterRead runs forget once, right after the forwarder has read a
// batch and before it posts it: a forget that lands during a flush.
type forgetAfterRead struct {
	lrs.Outbox
	once   sync.Once
	forget func()
}

func (o *forgetAfterRead) PendingStatements(ctx context.Context, limit int) ([]store.Statement, error) {
	batch, err := o.Outbox.PendingStatements(ctx, limit)
	if len(batch) > 0 {
		o.once.Do(o.forget)
	}
	return batch, err
}

// A statement the forwarder is posting while its person is forgotten
// reaches the LRS after the forget removed it here; it is voided there all
// the same.
func TestForgetDuringAFlushVoidsAtTheLRS(t *testing.T) {
	b := setup(t, 0)
	m, _ := engagement.NewMapper("https://lore.example.com/xapi", []byte("0123456789abcdef"))
	rec := engagement.NewRecorder(b.st, m, nil)
	if err := rec.RecordEvent(t.Context(), store.Event{ID: "q1", Time: time.Now(), Kind: store.EventQuestion, User: "ana"}); err != nil {
		t.Fatal(err)
	}
	outbox := &forgetAfterRead{Outbox: b.st, forget: func() {
		if _, err := engagement.Forget(t.Context(), b.st, m, "ana", false, time.Now()); err != nil {
			t.Error(err)
		}
	}}
	if _, err := b.forwarder(t, outbox).Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	q1 := engagement.StatementID("q1")
	if !slices.Contains(b.lrs.IDs(), q1) {
		t.Fatal("the statement did not reach the LRS during the forget: the race was not run")
	}
	if !b.lrs.Voided(q1) {
		t.Error("the LRS keeps the statement of a forgotten person: no voiding statement reached it")
	}
	if n := b.pending(t); n != 0 {
		t.Errorf("%d statements left in the outbox", n)
	}
}
