package store

import (
	"context"
	"time"
)

// Claims are first-come keys with an expiry. Several replicas receiving the
// same delivery (a Slack event retried, or redelivered over a new socket)
// each try to claim its id; exactly one is told it came first and does the
// work.
type Claims interface {
	// Claim records key for ttl and reports whether this call took it:
	// first is true when no unexpired claim on key existed. The check and
	// the write are one atomic step, so of concurrent callers exactly one
	// sees first. Expired claims count as absent and may be purged.
	//
	// An error does not say that the key is free: a claim whose
	// connection is cut after the server received it may be committed
	// all the same. A caller that refuses work on an error must not
	// leave a later caller to find the key taken by the refused one.
	Claim(ctx context.Context, key string, ttl time.Duration) (first bool, err error)
	// Claimed reports whether an unexpired claim on key exists.
	Claimed(ctx context.Context, key string) (bool, error)
}

// MaxClaimKey bounds a claim key, which callers build from ids a platform
// sends; a longer key is refused rather than cut, so that two keys never
// collide.
const MaxClaimKey = 512

// ValidateClaim refuses a claim no store should keep: an empty or overlong
// key, text the rules refuse, or a ttl that is not positive.
func (r Rules) ValidateClaim(key string, ttl time.Duration) error {
	if err := r.ValidateClaimKey(key); err != nil {
		return err
	}
	if ttl <= 0 {
		return Invalid("claim ttl %s is not positive", ttl)
	}
	return nil
}

// ValidateClaimKey refuses a key no claim can have.
func (r Rules) ValidateClaimKey(key string) error {
	switch {
	case key == "":
		return Invalid("claim key is empty")
	case len(key) > MaxClaimKey:
		return Invalid("claim key is %d bytes, more than %d", len(key), MaxClaimKey)
	}
	return r.CheckText("claim key", key)
}

// ClaimPurgeBatch bounds how many expired claims one Claim deletes, so that
// the table stays small without any call paying for a large clean-up.
const ClaimPurgeBatch = 100
