package storetest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

// RunClock runs the cases about the store's clock, which stamps documents
// and events that carry no time and decides when a lock's lease ends.
// open returns a fresh, empty store that reads the time from clock; as in
// Run, subtests may run in parallel and RunClock closes the store.
func RunClock(t *testing.T, open func(t *testing.T, clock func() time.Time) store.Store) {
	t.Helper()
	for _, c := range []struct {
		name string
		run  func(t *testing.T, s store.Store, c *fakeClock)
	}{
		{"TimesDefaultToClock", testTimesDefaultToClock},
		{"LockExpiryFollowsClock", testLockExpiryFollowsClock},
		{"ClaimExpiryFollowsClock", testClaimExpiryFollowsClock},
		{"PersonStampedByClock", testPersonStampedByClock},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
			s := open(t, clock.Now)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			c.run(t, s, clock)
		})
	}
}

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func testTimesDefaultToClock(t *testing.T, s store.Store, c *fakeClock) {
	now := c.Now()
	mustReplace(t, s, newDoc("a", "handbook"), newChunk(0, "a", []string{"a"}, basis(0)))
	got, err := s.Document(t.Context(), "a")
	if err != nil || !got.UpdatedAt.Equal(now) {
		t.Errorf("UpdatedAt = %v, %v; want the clock's %v", got.UpdatedAt, err, now)
	}
	mustRecord(t, s, store.Event{ID: "e", Kind: store.EventQuestion})
	events := mustEvents(t, s, store.EventFilter{})
	if len(events) != 1 || !events[0].Time.Equal(now) {
		t.Errorf("events = %+v; want one stamped %v", events, now)
	}
}

func testLockExpiryFollowsClock(t *testing.T, s store.Store, c *fakeClock) {
	mustLock(t, s, "ingest", "a", time.Hour)
	c.Advance(59 * time.Minute)
	_, err := s.TryLock(t.Context(), "ingest", "b", time.Hour)
	wantErrorIs(t, err, store.ErrLocked, "lock before expiry")
	if want := "ingest held by a until 2025-06-01T13:00:00Z"; !strings.Contains(err.Error(), want) {
		t.Errorf("lock before expiry: %v, want it to say %q", err, want)
	}
	c.Advance(2 * time.Minute)
	if _, err := s.TryLock(t.Context(), "ingest", "b", time.Hour); err != nil {
		t.Errorf("lock after expiry: %v", err)
	}
}
