package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var lockCases = []testCase{
	{"SecondHolderLockedOut", testLockHeld},
	{"ReleaseLetsNextIn", testLockRelease},
	{"ExpiryLetsAnotherIn", testLockExpiry},
	{"StaleReleaseKeepsNewHolder", testLockStaleRelease},
	{"NamesAreIndependent", testLockNames},
	{"HolderRenews", testLockRenew},
	{"BreakRemovesOnlyThatHolder", testLockBreak},
}

var lifecycleCases = []testCase{
	{"Ping", testPing},
	{"CloseTwice", testCloseTwice},
}

func mustLock(t *testing.T, s store.Store, name, owner string, ttl time.Duration) func(context.Context) error {
	t.Helper()
	release, err := s.TryLock(t.Context(), name, owner, ttl)
	if err != nil {
		t.Fatalf("lock %s for %s: %v", name, owner, err)
	}
	return release
}

func wantLocked(t *testing.T, s store.Store, name, owner, holder string) {
	t.Helper()
	release, err := s.TryLock(t.Context(), name, owner, time.Minute)
	if err == nil {
		_ = release(t.Context())
		t.Fatalf("%s took lock %s, want it held by %s", owner, name, holder)
	}
	wantErrorIs(t, err, store.ErrLocked, owner+" taking "+name)
	if !strings.Contains(err.Error(), holder) {
		t.Errorf("error %q does not name the holder %s", err, holder)
	}
}

func testLockHeld(t *testing.T, s store.Store) {
	mustLock(t, s, "ingest", "host-a:101", time.Minute)
	wantLocked(t, s, "ingest", "host-b:202", "host-a:101")
}

func testLockRelease(t *testing.T, s store.Store) {
	release := mustLock(t, s, "ingest", "host-a:101", time.Minute)
	if err := release(t.Context()); err != nil {
		t.Fatalf("release: %v", err)
	}
	if err := release(t.Context()); err != nil {
		t.Errorf("second release: %v", err)
	}
	mustLock(t, s, "ingest", "host-b:202", time.Minute)
	wantLocked(t, s, "ingest", "host-a:101", "host-b:202")
}

// A crashed holder never releases; its lease must lapse on its own. The
// check that it is held at first only counts if it ran before the ttl was
// up, so a slow machine cannot fail it.
func testLockExpiry(t *testing.T, s store.Store) {
	const ttl = 100 * time.Millisecond
	start := time.Now()
	mustLock(t, s, "ingest", "host-a:101", ttl)
	release, err := s.TryLock(t.Context(), "ingest", "host-b:202", time.Minute)
	switch {
	case err == nil && time.Since(start) < ttl:
		t.Fatal("host-b took the lock before host-a's lease expired")
	case err == nil:
		_ = release(t.Context())
	default:
		wantErrorIs(t, err, store.ErrLocked, "host-b before expiry")
	}
	time.Sleep(time.Until(start.Add(ttl + 50*time.Millisecond)))
	mustLock(t, s, "ingest", "host-b:202", time.Minute)
}

// A holder that outlived its lease must not release the lease another
// process has taken since.
func testLockStaleRelease(t *testing.T, s store.Store) {
	stale := mustLock(t, s, "ingest", "host-a:101", 50*time.Millisecond)
	time.Sleep(120 * time.Millisecond)
	mustLock(t, s, "ingest", "host-b:202", time.Minute)
	if err := stale(t.Context()); err != nil {
		t.Errorf("stale release: %v", err)
	}
	wantLocked(t, s, "ingest", "host-c:303", "host-b:202")
}

// A long-running holder renews its lease by taking the lock again; the
// renewed lease outlives the first ttl.
func testLockRenew(t *testing.T, s store.Store) {
	mustLock(t, s, "ingest", "host-a:101", 50*time.Millisecond)
	release := mustLock(t, s, "ingest", "host-a:101", time.Minute)
	time.Sleep(120 * time.Millisecond)
	wantLocked(t, s, "ingest", "host-b:202", "host-a:101")
	if err := release(t.Context()); err != nil {
		t.Fatalf("release after renewal: %v", err)
	}
	mustLock(t, s, "ingest", "host-b:202", time.Minute)
}

// A lease whose holder is known to be dead can be broken before it
// expires; breaking names the holder, so a lease taken since is kept.
func testLockBreak(t *testing.T, s store.Store) {
	mustLock(t, s, "ingest", "host-a:101", time.Minute)
	if err := s.BreakLock(t.Context(), "ingest", "host-z:999"); err != nil {
		t.Fatalf("break for another holder: %v", err)
	}
	wantLocked(t, s, "ingest", "host-b:202", "host-a:101")
	_, err := s.TryLock(t.Context(), "ingest", "host-b:202", time.Minute)
	var held *store.LockHeldError
	if !errors.As(err, &held) || held.Holder != "host-a:101" || held.Name != "ingest" {
		t.Fatalf("refusal %v does not name the holder as a LockHeldError", err)
	}
	if err := s.BreakLock(t.Context(), "ingest", "host-a:101"); err != nil {
		t.Fatalf("break: %v", err)
	}
	mustLock(t, s, "ingest", "host-b:202", time.Minute)
}

func testLockNames(t *testing.T, s store.Store) {
	mustLock(t, s, "ingest", "host-a:101", time.Minute)
	mustLock(t, s, "digest", "host-b:202", time.Minute)
	wantLocked(t, s, "digest", "host-a:101", "host-b:202")
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("ping: %v", err)
	}
}

func testCloseTwice(t *testing.T, s store.Store) {
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("ping after close succeeded")
	}
}
