package storetest

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var claimCases = []testCase{
	{"FirstClaimWins", testClaimFirst},
	{"ConcurrentClaimsOneWinner", testClaimConcurrent},
	{"KeysAreIndependent", testClaimKeys},
	{"BadInputRefused", testClaimBadInput},
}

func mustClaim(t *testing.T, s store.Store, key string, ttl time.Duration) bool {
	t.Helper()
	first, err := s.Claim(t.Context(), key, ttl)
	if err != nil {
		t.Fatalf("claim %q: %v", key, err)
	}
	return first
}

func mustClaimed(t *testing.T, s store.Store, key string) bool {
	t.Helper()
	held, err := s.Claimed(t.Context(), key)
	if err != nil {
		t.Fatalf("claimed %q: %v", key, err)
	}
	return held
}

func testClaimFirst(t *testing.T, s store.Store) {
	if mustClaimed(t, s, "slack:event:Ev1") {
		t.Fatal("Claimed before any claim")
	}
	if !mustClaim(t, s, "slack:event:Ev1", time.Hour) {
		t.Fatal("first claim was not first")
	}
	if mustClaim(t, s, "slack:event:Ev1", time.Hour) {
		t.Error("second claim was first too")
	}
	if !mustClaimed(t, s, "slack:event:Ev1") {
		t.Error("Claimed is false after a claim")
	}
}

// Replicas receiving the same retried event race to claim it: exactly one
// may do the work.
func testClaimConcurrent(t *testing.T, s store.Store) {
	const callers = 16
	var (
		wg    sync.WaitGroup
		wins  atomic.Int32
		start = make(chan struct{})
	)
	for range callers {
		wg.Go(func() {
			<-start
			first, err := s.Claim(t.Context(), "slack:event:Ev-race", time.Hour)
			if err != nil {
				t.Errorf("claim: %v", err)
			}
			if first {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Fatalf("%d of %d concurrent claims were first, want exactly 1", got, callers)
	}
}

func testClaimKeys(t *testing.T, s store.Store) {
	for _, key := range []string{"a", "b", "A", "a:b", strings.Repeat("k", store.MaxClaimKey)} {
		if !mustClaim(t, s, key, time.Hour) {
			t.Errorf("claim %q was not first", key)
		}
	}
}

func testClaimBadInput(t *testing.T, s store.Store) {
	for _, c := range []struct {
		key string
		ttl time.Duration
	}{
		{"", time.Hour},
		{"k", 0},
		{"k", -time.Second},
		{"bad\xff", time.Hour},
		{strings.Repeat("k", store.MaxClaimKey+1), time.Hour},
	} {
		_, err := s.Claim(t.Context(), c.key, c.ttl)
		wantErrorIs(t, err, store.ErrInvalidInput, "claim "+c.key)
	}
	_, err := s.Claimed(t.Context(), "")
	wantErrorIs(t, err, store.ErrInvalidInput, "claimed of an empty key")
	if mustClaimed(t, s, "k") {
		t.Error("a refused claim was kept")
	}
}

func testClaimExpiryFollowsClock(t *testing.T, s store.Store, c *fakeClock) {
	if !mustClaim(t, s, "slack:event:Ev1", time.Hour) {
		t.Fatal("first claim was not first")
	}
	c.Advance(59 * time.Minute)
	if mustClaim(t, s, "slack:event:Ev1", time.Hour) || !mustClaimed(t, s, "slack:event:Ev1") {
		t.Fatal("claim lapsed before its ttl")
	}
	c.Advance(2 * time.Minute)
	if mustClaimed(t, s, "slack:event:Ev1") {
		t.Error("Claimed is true after the ttl")
	}
	// Another key's claim purges the expired row; the key is free again.
	if !mustClaim(t, s, "other", time.Hour) {
		t.Fatal("claim of another key was not first")
	}
	if !mustClaim(t, s, "slack:event:Ev1", time.Hour) {
		t.Error("an expired claim was not taken over")
	}
}
