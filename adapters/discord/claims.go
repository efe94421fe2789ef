package discord

import (
	"context"
	"sync"
	"time"
)

// memClaims is the in-memory Claims used when no shared one is given.
type memClaims struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]time.Time // key → expiry
}

var _ Claims = (*memClaims)(nil)

func newMemClaims(now func() time.Time) *memClaims {
	return &memClaims{now: now, m: map[string]time.Time{}}
}

// maxMemClaims bounds the memory of the set; expired keys are dropped
// first when it is reached.
const maxMemClaims = 100_000

func (c *memClaims) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.m[key]; ok && now.Before(exp) {
		return false, nil
	}
	if len(c.m) >= maxMemClaims {
		for k, exp := range c.m {
			if !now.Before(exp) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxMemClaims {
			clear(c.m)
		}
	}
	c.m[key] = now.Add(ttl)
	return true, nil
}
