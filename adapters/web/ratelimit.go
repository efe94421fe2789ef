package web

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
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

// attemptLimiter limits sign-in attempts per client and in all.
type attemptLimiter struct {
	now func() time.Time

	mu      sync.Mutex
	clients map[string]*rate.Limiter
	global  *rate.Limiter
	swept   time.Time
}

func newAttemptLimiter(now func() time.Time) *attemptLimiter {
	return &attemptLimiter{now: now, clients: map[string]*rate.Limiter{},
		global: rate.NewLimiter(rate.Every(signInGlobalEvery), signInGlobalBurst)}
}

// attempt is an attempt take let through: the allowances it spent.
type attempt struct {
	client, global *rate.Reservation
}

// wait is how long until l holds a whole token at now.
func wait(l *rate.Limiter, now time.Time) time.Duration {
	return time.Duration((1 - l.TokensAt(now)) * float64(time.Second) / float64(l.Limit()))
}

// take spends one attempt of client's and one of the global allowance.
// When either is spent, it returns false and how long until the next
// attempt may be made. exhausted says that this attempt spent the last of
// an allowance, for a single log line when the limit starts to bite.
func (l *attemptLimiter) take(client string) (a attempt, ok bool, retry time.Duration, exhausted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	c := l.clients[client]
	if c == nil {
		c = rate.NewLimiter(rate.Every(signInEvery), signInBurst)
	}
	if c.TokensAt(now) < 1 {
		return attempt{}, false, wait(c, now), false
	}
	if l.global.TokensAt(now) < 1 {
		return attempt{}, false, wait(l.global, now), false
	}
	a = attempt{client: c.ReserveN(now, 1), global: l.global.ReserveN(now, 1)}
	// A client is only remembered once it has made an attempt that the
	// global allowance let through, so the map stays small under a flood
	// of addresses.
	l.clients[client] = c
	return a, true, 0, c.TokensAt(now) < 1 || l.global.TokensAt(now) < 1
}

// give returns the attempt take spent: a correct token is no guess.
func (l *attemptLimiter) give(a attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	a.client.CancelAt(now)
	a.global.CancelAt(now)
}

// sweep forgets clients whose allowance has grown back whole.
func (l *attemptLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < signInSweepInterval {
		return
	}
	l.swept = now
	for k, c := range l.clients {
		if c.TokensAt(now) >= signInBurst {
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
