package web

import (
	"net/netip"
	"sync"
	"time"
)

// Admin-token sign-in attempts are limited per client address and in all:
// a correct token is a shared secret of 16 characters or more, so a few
// attempts a minute cost a person who mistyped it nothing and a guesser
// everything. The limits are per replica.
const (
	signInBurst         = 10               // attempts a client may make at once
	signInEvery         = 10 * time.Second // then one more each
	signInGlobalBurst   = 100              // attempts all clients may make at once
	signInGlobalEvery   = time.Second      // then one more each
	signInSweepInterval = time.Minute
)

// bucket is a token bucket: tokens as of at.
type bucket struct {
	tokens float64
	at     time.Time
}

// refill adds the tokens earned since b.at, up to burst.
func (b *bucket) refill(now time.Time, burst int, every time.Duration) {
	if now.After(b.at) {
		b.tokens = min(float64(burst), b.tokens+float64(now.Sub(b.at))/float64(every))
	}
	b.at = now
}

// wait is how long until b holds a whole token.
func (b *bucket) wait(every time.Duration) time.Duration {
	return time.Duration((1 - b.tokens) * float64(every))
}

// attemptLimiter limits sign-in attempts per client and in all.
type attemptLimiter struct {
	now func() time.Time

	mu      sync.Mutex
	clients map[string]*bucket
	global  bucket
	swept   time.Time
}

func newAttemptLimiter(now func() time.Time) *attemptLimiter {
	return &attemptLimiter{now: now, clients: map[string]*bucket{}, global: bucket{tokens: signInGlobalBurst, at: now()}}
}

// take spends one attempt of client's and one of the global allowance.
// When either is spent, it returns false and how long until the next
// attempt may be made. exhausted says that this attempt spent the last of
// an allowance, for a single log line when the limit starts to bite.
func (l *attemptLimiter) take(client string) (ok bool, retry time.Duration, exhausted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	c := l.clients[client]
	if c == nil {
		c = &bucket{tokens: signInBurst, at: now}
	}
	c.refill(now, signInBurst, signInEvery)
	l.global.refill(now, signInGlobalBurst, signInGlobalEvery)
	if c.tokens < 1 {
		return false, c.wait(signInEvery), false
	}
	if l.global.tokens < 1 {
		return false, l.global.wait(signInGlobalEvery), false
	}
	c.tokens--
	l.global.tokens--
	// A client is only remembered once it has made an attempt that the
	// global allowance let through, so the map stays small under a flood
	// of addresses.
	l.clients[client] = c
	return true, 0, c.tokens < 1 || l.global.tokens < 1
}

// give returns the attempt take spent: a correct token is no guess.
func (l *attemptLimiter) give(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.clients[client]; c != nil {
		c.tokens = min(signInBurst, c.tokens+1)
	}
	l.global.tokens = min(signInGlobalBurst, l.global.tokens+1)
}

// sweep forgets clients whose allowance has grown back whole.
func (l *attemptLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < signInSweepInterval {
		return
	}
	l.swept = now
	for k, c := range l.clients {
		if c.refill(now, signInBurst, signInEvery); c.tokens >= signInBurst {
			delete(l.clients, k)
		}
	}
}

// clientKey is the key a client's attempts are counted against: its
// address (see clientAddr), an IPv6 client by its /64, which one host
// usually holds whole. A request whose client address cannot be read (a
// RemoteAddr no listener writes) counts as RemoteAddr itself.
func clientKey(a netip.Addr, remoteAddr string) string {
	if !a.IsValid() {
		return remoteAddr
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
