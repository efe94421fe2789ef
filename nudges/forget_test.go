package nudges

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/nudges/samples"
	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
)

// forgetter is what the stores offer to forget a person.
type forgetter interface {
	Forget(ctx context.Context, user string, keepCounts bool) (store.ForgetResult, error)
	Events(ctx context.Context, f store.EventFilter) ([]store.Event, error)
}

// deliveryRig is a Service over a fresh store of one backend, with the
// sample tracks and the given learners enrolled in security-basics.
type deliveryRig struct {
	svc   *Service
	st    Store
	clock *testClock
	plan  []DeliverArgs
}

func newDeliveryRig(t *testing.T, open func(t *testing.T, clock func() time.Time) Store, snd Sender,
	wrap func(Store) Store, users ...string) *deliveryRig {
	t.Helper()
	ctx := t.Context()
	c := &testClock{now: monday}
	st := open(t, c.Now)
	var svcStore Store = st
	if wrap != nil {
		svcStore = wrap(st)
	}
	svc, err := New(Config{Store: svcStore, Sender: snd, Clock: c.Now, DefaultTimeZone: paris})
	if err != nil {
		t.Fatal(err)
	}
	tracks, err := track.LoadFS(samples.Tracks, "tracks")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, tracks); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if _, err := svc.Enrol(ctx, "security-basics", "curator", learner(u)); err != nil {
			t.Fatal(err)
		}
	}
	plan, err := svc.Plan(ctx, monday, monday.Add(24*time.Hour))
	if err != nil || len(plan) != len(users) {
		t.Fatalf("plan = %+v, %v", plan, err)
	}
	c.Set(plan[0].Slot)
	return &deliveryRig{svc: svc, st: st, clock: c, plan: plan}
}

// wantNoTrace checks that the store keeps nothing of user's nudges: no
// delivery (the one of a, by id, included), enrolment, card state or
// event.
func wantNoTrace(t *testing.T, st Store, a DeliverArgs) {
	t.Helper()
	ctx, l := t.Context(), a.learner()
	if d, err := st.Delivery(ctx, DeliveryID(l, a.Slot)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delivery after the forget = %+v, %v; want none", d, err)
	}
	if es, err := st.Enrolments(ctx, store.EnrolmentFilter{Learner: &l}); err != nil || len(es) != 0 {
		t.Errorf("enrolments after the forget = %+v, %v", es, err)
	}
	if cs, err := st.CardStates(ctx, l, "security-basics"); err != nil || len(cs) != 0 {
		t.Errorf("card states after the forget = %+v, %v", cs, err)
	}
	if es, err := st.(forgetter).Events(ctx, store.EventFilter{User: l.User}); err != nil || len(es) != 0 {
		t.Errorf("events after the forget = %+v, %v", es, err)
	}
}

// "forget me" while a nudge to the person is past its checks and about to
// be sent: the forget waits for the send to be recorded, then deletes it
// with the rest, so no nudge reaches them after the forget returns and
// none of their rows comes back. A job of theirs fetched before the
// forget then sends nothing and writes nothing.
func TestForgetWhileANudgeIsBeingSent(t *testing.T) {
	for name, open := range nudgeBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			snd := &gateSender{sending: make(chan struct{}, 10), release: make(chan struct{})}
			r := newDeliveryRig(t, open, snd, nil, "ann")
			a := r.plan[0]

			delivered := make(chan error, 1)
			go func() { delivered <- r.svc.Deliver(ctx, a) }()
			<-snd.sending // past its checks, about to send
			forgotten := make(chan error, 1)
			go func() {
				_, err := r.st.(forgetter).Forget(ctx, a.User, false)
				forgotten <- err
			}()
			select {
			case err := <-forgotten:
				close(snd.release)
				<-delivered
				t.Fatalf("forget returned (%v) while a nudge to the person was being sent", err)
			case <-time.After(300 * time.Millisecond):
			}
			close(snd.release)
			if err := <-delivered; err != nil {
				t.Errorf("the nudge being sent: %v", err)
			}
			if err := <-forgotten; err != nil {
				t.Fatal(err)
			}
			if n := snd.count(a.User); n != 1 {
				t.Errorf("sent %d nudges, want the one sent before the forget returned", n)
			}
			wantNoTrace(t, r.st, a)

			// River fetched another attempt at it before the forget.
			if err := r.svc.Deliver(ctx, a); err != nil {
				t.Errorf("an attempt after the forget: %v", err)
			}
			if n := snd.count(a.User); n != 1 {
				t.Errorf("an attempt after the forget sent a nudge (%d in all)", n)
			}
			wantNoTrace(t, r.st, a)
		})
	}
}

// flakyRecord is a store whose recording of sent nudges fails, as a
// database going away between the send and its record does.
type flakyRecord struct {
	Store
	mu    sync.Mutex
	fails int
}

func (f *flakyRecord) CompleteDelivery(ctx context.Context, d store.DeliveryDone) error {
	f.mu.Lock()
	fail := d.Status == store.DeliverySent && f.fails > 0
	if fail {
		f.fails--
	}
	f.mu.Unlock()
	if fail {
		return errors.New("database unavailable")
	}
	return f.Store.CompleteDelivery(ctx, d)
}

// dedupingSender makes one message per idempotency key, as Discord does
// with an enforced nonce within its window: a repeat returns the message
// already sent.
type dedupingSender struct {
	sender
	window  time.Duration
	mu      sync.Mutex
	byKey   map[string]string
	repeats int
}

func (d *dedupingSender) SendDirect(ctx context.Context, platform, workspace, user string, r bot.Reply) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if thread, ok := d.byKey[r.IdempotencyKey]; ok && r.IdempotencyKey != "" {
		d.repeats++
		return thread, nil
	}
	thread, err := d.sender.SendDirect(ctx, platform, workspace, user, r)
	if err == nil {
		if d.byKey == nil {
			d.byKey = map[string]string{}
		}
		d.byKey[r.IdempotencyKey] = thread
	}
	return thread, err
}

func (d *dedupingSender) DedupeWindow(string) time.Duration { return d.window }

// cutShortSender's platform accepts the message, but on the first send
// the attempt's context ends (cancel) before the answer comes back, and
// the HTTP client says so: a replica shutting down mid send.
type cutShortSender struct {
	sender
	cancel context.CancelFunc
}

func (c *cutShortSender) SendDirect(ctx context.Context, platform, workspace, user string, r bot.Reply) (string, error) {
	thread, err := c.sender.SendDirect(ctx, platform, workspace, user, r)
	if err != nil || c.cancel == nil {
		return thread, err
	}
	cancel := c.cancel
	c.cancel = nil
	cancel()
	<-ctx.Done()
	return "", fmt.Errorf("slack chat.postMessage: %w", &url.Error{Op: "Post", URL: "https://slack.com/api/chat.postMessage", Err: ctx.Err()})
}

// waitingSender fails its first send as an adapter does when the
// attempt's context ends (cancel) while the send waits its turn under a
// rate limit: nothing left.
type waitingSender struct {
	sender
	cancel context.CancelFunc
}

func (w *waitingSender) SendDirect(ctx context.Context, platform, workspace, user string, r bot.Reply) (string, error) {
	if w.cancel == nil {
		return w.sender.SendDirect(ctx, platform, workspace, user, r)
	}
	w.cancel()
	w.cancel = nil
	<-ctx.Done()
	return "", fmt.Errorf("slack chat.postMessage: %w", ctx.Err())
}

// A nudge the platform accepted, whose attempt then could not record it
// (the database went away, the replica was shutting down), is not sent a
// second time by the retry: it is recorded as sent instead. Where the
// platform recognises a repeat by the nudge's key (Discord's nonce) and
// the retry comes within its window, the retry sends again with the same
// key, which makes no second message and gives back the message's id.
func TestNudgeSentOnceWhenItsRecordIsLost(t *testing.T) {
	for name, open := range nudgeBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			t.Run("record fails", func(t *testing.T) {
				snd := &sender{}
				var flaky *flakyRecord
				r := newDeliveryRig(t, open, snd, func(st Store) Store { flaky = &flakyRecord{Store: st, fails: 1}; return flaky }, "ann")
				a := r.plan[0]
				if err := r.svc.Deliver(ctx, a); err == nil {
					t.Fatal("the attempt whose record failed reported no error")
				}
				if n := snd.count(a.User); n != 1 {
					t.Fatalf("sent %d, want 1", n)
				}
				r.clock.Set(a.Slot.Add(16 * time.Second)) // River's retry
				if err := r.svc.Deliver(ctx, a); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if n := snd.count(a.User); n != 1 {
					t.Errorf("the retry sent the nudge again: %d sent", n)
				}
				d, err := r.st.Delivery(ctx, DeliveryID(a.learner(), a.Slot))
				if err != nil || d.Status != store.DeliverySent || len(d.Cards) != len(a.Cards) {
					t.Errorf("delivery = %+v, %v; want it recorded sent with its cards", d, err)
				}
				if es, _ := r.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &d.Learner}); len(es) != 1 || len(es[0].Seen) != len(a.Cards) {
					t.Errorf("progress = %+v; want the cards seen", es)
				}
			})
			t.Run("send cut short", func(t *testing.T) {
				snd := &cutShortSender{}
				r := newDeliveryRig(t, open, snd, nil, "ann")
				a := r.plan[0]
				actx, cancel := context.WithCancel(ctx)
				snd.cancel = cancel
				if err := r.svc.Deliver(actx, a); !errors.Is(err, context.Canceled) {
					t.Fatalf("the attempt cut short: %v", err)
				}
				if err := r.svc.Deliver(ctx, a); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if n := snd.count(a.User); n != 1 {
					t.Errorf("sent %d, want 1: the retry sent a nudge the platform may have had", n)
				}
				if d, err := r.st.Delivery(ctx, DeliveryID(a.learner(), a.Slot)); err != nil || d.Status != store.DeliverySent {
					t.Errorf("delivery = %+v, %v; want it recorded sent", d, err)
				}
			})
			t.Run("send never left", func(t *testing.T) {
				snd := &waitingSender{}
				r := newDeliveryRig(t, open, snd, nil, "ann")
				a := r.plan[0]
				actx, cancel := context.WithCancel(ctx)
				snd.cancel = cancel
				if err := r.svc.Deliver(actx, a); !errors.Is(err, context.Canceled) {
					t.Fatalf("the attempt whose context ended: %v", err)
				}
				if err := r.svc.Deliver(ctx, a); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if n := snd.count(a.User); n != 1 {
					t.Errorf("sent %d, want the retry to send the nudge that never left", n)
				}
			})
			t.Run("platform dedupes", func(t *testing.T) {
				snd := &dedupingSender{window: time.Minute}
				r := newDeliveryRig(t, open, snd, func(st Store) Store { return &flakyRecord{Store: st, fails: 1} }, "ann")
				a := r.plan[0]
				if err := r.svc.Deliver(ctx, a); err == nil {
					t.Fatal("the attempt whose record failed reported no error")
				}
				r.clock.Set(a.Slot.Add(16 * time.Second))
				if err := r.svc.Deliver(ctx, a); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if n, rep := snd.count(a.User), snd.repeats; n != 1 || rep != 1 {
					t.Errorf("%d messages and %d repeats; want the retry to repeat the send, making no second message", n, rep)
				}
				d, err := r.st.DeliveryInThread(ctx, a.learner(), "msg-ann-1")
				if err != nil || d.ID != DeliveryID(a.learner(), a.Slot) {
					t.Errorf("delivery in the message's thread = %+v, %v; want the nudge, its message id known", d, err)
				}

				// Past the window, the repeat could make a second message:
				// recorded as sent instead.
				r2 := newDeliveryRig(t, open, snd, func(st Store) Store { return &flakyRecord{Store: st, fails: 1} }, "bob")
				b := r2.plan[0]
				if err := r2.svc.Deliver(ctx, b); err == nil {
					t.Fatal("the attempt whose record failed reported no error")
				}
				r2.clock.Set(b.Slot.Add(2 * time.Minute))
				if err := r2.svc.Deliver(ctx, b); err != nil {
					t.Fatalf("late retry: %v", err)
				}
				if n, rep := snd.count(b.User), snd.repeats; n != 1 || rep != 1 {
					t.Errorf("bob: %d messages, %d repeats in all; want no send past the window", n, rep)
				}
			})
		})
	}
}
