package store

import (
	"context"
	"errors"
	"time"
)

// ErrDeliveryBeingSent is what a backend's attempt at a full Forget
// returns when a delivery to the person is claimed under a running lease:
// forgetting them then would let that nudge reach them afterwards.
var ErrDeliveryBeingSent = errors.New("a nudge is being sent to the person")

// forgetPoll is how often a forget waiting for a nudge being sent looks
// again.
const forgetPoll = 50 * time.Millisecond

// RetryForget runs attempt, a backend's forget in one transaction, again
// every few tens of milliseconds while it returns ErrDeliveryBeingSent,
// for up to ForgetWaitForDelivery. check tells attempt whether to look
// for deliveries being sent at all: past the wait it must not, so that a
// Sender ignoring its context cannot hold a forget up for ever. Other
// errors, and ctx's end, are returned as they are.
func RetryForget(ctx context.Context, attempt func(check bool) error) error {
	wait := time.Now().Add(ForgetWaitForDelivery)
	for {
		err := attempt(time.Now().Before(wait))
		if !errors.Is(err, ErrDeliveryBeingSent) {
			return err
		}
		t := time.NewTimer(forgetPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
