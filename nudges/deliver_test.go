package nudges

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/nudges/samples"
	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
)

// tuesdayPlan is ann's plan for Tuesday, after joining security-basics on
// Monday: the report-phish quiz at 09:30.
func tuesdayPlan(t *testing.T, f *fixture) DeliverArgs {
	t.Helper()
	tue := monday.Add(24 * time.Hour)
	plan, err := f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))
	if err != nil || len(plan) != 1 || len(plan[0].Cards) != 1 || plan[0].Cards[0].CardID != "report-phish" {
		t.Fatalf("Tuesday plan = %+v, %v", plan, err)
	}
	return plan[0]
}

// deliveryStatus is the stored status of a planned delivery.
func deliveryStatus(t *testing.T, f *fixture, a DeliverArgs) string {
	t.Helper()
	d, err := f.st.Delivery(t.Context(), DeliveryID(a.learner(), a.Slot))
	if err != nil {
		t.Fatal(err)
	}
	return d.Status
}

// A planned nudge is checked again when its job runs: cards of a track the
// learner left, new cards they fetched with "nudge" since the plan and
// reviews they answered since are not sent, and a nudge left with nothing
// sends nothing.
func TestPlannedNudgeSendsOnlyCardsStillDue(t *testing.T) {
	t.Run("card fetched on demand", func(t *testing.T) {
		f := setup(t)
		f.cmd(t, "ann", "learn join security-basics")
		plan := tuesdayPlan(t, f)
		f.clock.Set(plan.Slot.Add(-5 * time.Minute))
		if r := f.cmd(t, "ann", "nudge"); !strings.Contains(r.Text, "Where do you report") {
			t.Fatalf("nudge = %q", r.Text)
		}
		f.clock.Set(plan.Slot)
		if err := f.svc.Deliver(t.Context(), plan); err != nil {
			t.Fatal(err)
		}
		if n := f.sender.count("ann"); n != 0 {
			t.Errorf("sent %d nudges; the planned quiz came with \"nudge\" already: %q", n, f.sender.sent["ann"][0].Text)
		}
		if got := deliveryStatus(t, f, plan); got != store.DeliveryCancelled {
			t.Errorf("delivery status = %q, want %q", got, store.DeliveryCancelled)
		}
	})
	t.Run("track left", func(t *testing.T) {
		f := setup(t)
		f.cmd(t, "ann", "learn join security-basics")
		plan := tuesdayPlan(t, f)
		f.cmd(t, "ann", "learn leave security-basics")
		f.clock.Set(plan.Slot)
		if err := f.svc.Deliver(t.Context(), plan); err != nil {
			t.Fatal(err)
		}
		if n := f.sender.count("ann"); n != 0 {
			t.Errorf("sent %d nudges of a track ann left", n)
		}
	})
	t.Run("review answered since", func(t *testing.T) {
		f := setup(t)
		f.cmd(t, "ann", "learn join security-basics")
		f.clock.Set(monday.Add(time.Minute))
		f.cmd(t, "ann", "nudge") // the report-phish quiz, due for review on Tuesday
		l := learner("ann")
		f.clock.Set(time.Date(2026, 3, 3, 8, 0, 0, 0, paris))
		tue := monday.Add(24 * time.Hour)
		plan, err := f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))
		if err != nil || len(plan) != 1 {
			t.Fatalf("Tuesday plan = %+v, %v", plan, err)
		}
		var review *store.DeliveryCard
		for i, c := range plan[0].Cards {
			if c.Review && c.CardID == "report-phish" {
				review = &plan[0].Cards[i]
			}
		}
		if review == nil {
			t.Fatalf("Tuesday's cards = %+v; want the report-phish review", plan[0].Cards)
		}
		// Answered at 08:00 from Monday's message: reviewed, due in days.
		if r := f.cmd(t, "ann", "answer 2"); !strings.Contains(r.Text, "Right") {
			t.Fatalf("answer = %q", r.Text)
		}
		f.clock.Set(plan[0].Slot)
		if err := f.svc.Deliver(t.Context(), plan[0]); err != nil {
			t.Fatal(err)
		}
		if f.sender.count("ann") != 1 || strings.Contains(f.sender.sent["ann"][0].Text, "Where do you report") {
			t.Fatalf("Tuesday's nudge = %+v; want it without the review answered at 08:00", f.sender.sent["ann"])
		}
		// The delivery records the cards it sent, not those planned.
		d, err := f.st.Delivery(t.Context(), DeliveryID(l, plan[0].Slot))
		if err != nil || len(d.Cards) != len(plan[0].Cards)-1 {
			t.Errorf("delivery = %+v, %v; want the review left out of its cards", d, err)
		}
	})
}

// Chat workers down for two days: the planner kept queueing Tuesday's and
// Wednesday's nudges, and when the workers come back at 23:30 on
// Wednesday, neither goes out: both are missed (logged, and a nudge_missed
// event each), and the card comes at the next slot.
func TestLateNudgesAreMissed(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "learn join security-basics")
	tue := monday.Add(24 * time.Hour)
	p1, _ := f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))
	wed := tue.Add(24 * time.Hour)
	p2, _ := f.svc.Plan(t.Context(), wed, wed.Add(24*time.Hour))
	if len(p1) != 1 || len(p2) != 1 {
		t.Fatalf("plans = %+v, %+v", p1, p2)
	}
	f.clock.Set(time.Date(2026, 3, 4, 23, 30, 0, 0, paris))
	for _, p := range []DeliverArgs{p1[0], p2[0]} {
		if err := f.svc.Deliver(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		if got := deliveryStatus(t, f, p); got != store.DeliveryMissed {
			t.Errorf("delivery at %v: status %q, want %q", p.Slot, got, store.DeliveryMissed)
		}
	}
	if n := f.sender.count("ann"); n != 0 {
		t.Errorf("sent %d nudges at 23:30 for the morning slots", n)
	}
	ev := f.events(t, store.EventNudgeMissed)
	if len(ev) != 2 || (ev[0].Value != 14*60 && ev[1].Value != 14*60) {
		t.Errorf("missed events = %+v; want two, Wednesday's 840 minutes late", ev)
	}
	thu := wed.Add(24 * time.Hour)
	p3, _ := f.svc.Plan(t.Context(), thu, thu.Add(24*time.Hour))
	if len(p3) != 1 || p3[0].Cards[0].CardID != "report-phish" {
		t.Errorf("Thursday plan = %+v; want the quiz never sent", p3)
	}
}

// Within the hour, on the slot's local day, a late nudge still goes; past
// local midnight it does not, however short the delay.
func TestLateNudgeWithinTheHour(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "learn join security-basics")
	plan := tuesdayPlan(t, f)
	f.clock.Set(plan.Slot.Add(MaxLate))
	if err := f.svc.Deliver(t.Context(), plan); err != nil {
		t.Fatal(err)
	}
	if n := f.sender.count("ann"); n != 1 {
		t.Fatalf("sent %d nudges an hour late, want 1", n)
	}

	f.cmd(t, "ann", "nudges time 23:50")
	wed := time.Date(2026, 3, 4, 0, 0, 0, 0, paris)
	late, err := f.svc.Plan(t.Context(), wed, wed.Add(24*time.Hour))
	if err != nil || len(late) != 1 || !late[0].Slot.Equal(time.Date(2026, 3, 4, 23, 50, 0, 0, paris)) {
		t.Fatalf("Wednesday plan = %+v, %v", late, err)
	}
	f.clock.Set(late[0].Slot.Add(20 * time.Minute)) // 00:10 on Thursday
	if err := f.svc.Deliver(t.Context(), late[0]); err != nil {
		t.Fatal(err)
	}
	if n := f.sender.count("ann"); n != 1 {
		t.Error("sent Wednesday's 23:50 nudge at 00:10 on Thursday")
	}
	if got := deliveryStatus(t, f, late[0]); got != store.DeliveryMissed {
		t.Errorf("status = %q, want %q", got, store.DeliveryMissed)
	}
}

// gateSender is a Sender that says when a send starts and holds it until
// released, so that a test can run a second attempt while the first is
// sending.
type gateSender struct {
	sender
	sending chan struct{} // buffered: a send never waits to say it started
	release chan struct{}
}

func (g *gateSender) SendDirect(ctx context.Context, platform, workspace, user string, r bot.Reply) (string, error) {
	g.sending <- struct{}{}
	<-g.release
	return g.sender.SendDirect(ctx, platform, workspace, user, r)
}

// Two attempts at the same nudge at once (River rescuing a job it took to
// be stuck) send it once, on both stores: the second is refused while the
// first holds the delivery, and told to retry. An attempt that died
// holding it is taken over once its lease has run out, and since it may
// have sent the nudge, the nudge is recorded without sending it again.
func TestConcurrentAttemptsSendOnce(t *testing.T) {
	for name, open := range nudgeBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			c := &testClock{now: monday}
			st := open(t, c.Now)
			snd := &gateSender{sending: make(chan struct{}, 10), release: make(chan struct{})}
			svc, err := New(Config{Store: st, Sender: snd, Clock: c.Now, DefaultTimeZone: paris})
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
			for _, u := range []string{"ann", "bob"} {
				if _, err := svc.Enrol(ctx, "security-basics", "curator", learner(u)); err != nil {
					t.Fatal(err)
				}
			}
			plan, err := svc.Plan(ctx, monday, monday.Add(24*time.Hour))
			if err != nil || len(plan) != 2 {
				t.Fatalf("plan = %+v, %v", plan, err)
			}
			c.Set(plan[0].Slot)

			var wg sync.WaitGroup
			var first error
			wg.Add(1)
			go func() {
				defer wg.Done()
				first = svc.Deliver(ctx, plan[0])
			}()
			<-snd.sending // the first attempt is sending
			second := make(chan error, 1)
			go func() { second <- svc.Deliver(ctx, plan[0]) }()
			select {
			case err := <-second:
				if !errors.Is(err, store.ErrLocked) {
					t.Errorf("second attempt while the first sends: %v; want an error wrapping ErrLocked, for River to retry", err)
				}
			case <-snd.sending:
				t.Error("a second attempt sends while the first is sending")
				close(snd.release)
				<-second
			}
			if t.Failed() {
				wg.Wait()
				return
			}
			close(snd.release)
			wg.Wait()
			if first != nil {
				t.Fatal(first)
			}
			if err := svc.Deliver(ctx, plan[0]); err != nil {
				t.Errorf("retry after the send: %v", err)
			}
			if n := snd.count(plan[0].User); n != 1 {
				t.Errorf("sent %d times, want once", n)
			}

			// An attempt that died after claiming bob's nudge.
			b := plan[1]
			l := b.learner()
			dead := store.DeliveryClaim{Token: "dead", At: b.Slot, Until: b.Slot.Add(deliveryLease)}
			if h, err := st.ClaimDelivery(ctx, store.Delivery{ID: DeliveryID(l, b.Slot), Learner: l, Slot: b.Slot, Cards: b.Cards}, dead); err != nil || !h.Held {
				t.Fatalf("claim = %+v, %v", h, err)
			}
			c.Set(b.Slot.Add(deliveryLease - time.Second))
			if err := svc.Deliver(ctx, b); !errors.Is(err, store.ErrLocked) {
				t.Errorf("attempt during the dead one's lease: %v; want ErrLocked", err)
			}
			// River's job snoozes until the lease ends rather than failing.
			var snooze *rivertype.JobSnoozeError
			err = (&DeliverWorker{Service: svc}).Work(ctx, &river.Job[DeliverArgs]{JobRow: &rivertype.JobRow{}, Args: b})
			if !errors.As(err, &snooze) || snooze.Duration != 2*time.Second {
				t.Errorf("the job during the dead attempt's lease: %v; want it snoozed 1 s past the lease", err)
			}
			// The dead attempt may have sent it: the nudge is recorded as
			// sent, not sent again.
			c.Set(b.Slot.Add(deliveryLease))
			if err := svc.Deliver(ctx, b); err != nil {
				t.Fatalf("attempt after the lease: %v", err)
			}
			if n := snd.count(b.User); n != 0 {
				t.Errorf("bob's nudge, which the dead attempt may have sent, sent %d times more", n)
			}
			if d, err := st.Delivery(ctx, DeliveryID(l, b.Slot)); err != nil || d.Status != store.DeliverySent {
				t.Errorf("bob's delivery = %+v, %v; want it recorded sent", d, err)
			}
		})
	}
}

// A planned nudge whose slot stopped being the learner's before it was
// sent (they moved their delivery time, took the day off, set a quiet
// period or changed time zone) sends nothing; the slot that is theirs now
// brings its cards, once.
func TestPlannedNudgeAfterTheLearnerMovedTheirSlot(t *testing.T) {
	for _, c := range []struct {
		name, setting string
		// later is when the cards come instead, zero for not on Tuesday.
		later time.Time
	}{
		{"time moved later", "nudges time 11:00", time.Date(2026, 3, 3, 11, 0, 0, 0, paris)},
		{"day off", "nudges days mon,wed-fri", time.Time{}},
		{"quiet period", "nudges quiet 2026-03-03 2026-03-03", time.Time{}},
		{"time zone", "nudges timezone America/New_York", time.Date(2026, 3, 3, 9, 30, 0, 0, time.FixedZone("EST", -5*3600))},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			f.cmd(t, "ann", "learn join security-basics")
			plan := tuesdayPlan(t, f)
			f.clock.Set(plan.Slot.Add(-10 * time.Minute))
			f.cmd(t, "ann", c.setting)
			f.clock.Set(plan.Slot)
			if err := f.svc.Deliver(t.Context(), plan); err != nil {
				t.Fatal(err)
			}
			if n := f.sender.count("ann"); n != 0 {
				t.Fatalf("the 09:30 nudge was sent after %q", c.setting)
			}
			if got := deliveryStatus(t, f, plan); got != store.DeliveryCancelled {
				t.Errorf("status = %q, want %q", got, store.DeliveryCancelled)
			}
			again, err := f.svc.Plan(t.Context(), plan.Slot, plan.Slot.Add(12*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if c.later.IsZero() {
				if len(again) != 0 {
					t.Errorf("planned %+v on a day ann asked off", again)
				}
				return
			}
			if len(again) != 1 || !again[0].Slot.Equal(c.later) || again[0].Cards[0].CardID != "report-phish" {
				t.Fatalf("plan after the change = %+v; want the quiz at %v", again, c.later)
			}
			f.clock.Set(again[0].Slot)
			if err := f.svc.Deliver(t.Context(), again[0]); err != nil {
				t.Fatal(err)
			}
			if n := f.sender.count("ann"); n != 1 {
				t.Errorf("sent %d nudges at the new slot, want 1", n)
			}
		})
	}
}

// profileZones is a TimeZones whose lookups can be made to fail.
type profileZones struct {
	mu   sync.Mutex
	zone string
	err  error
}

func (z *profileZones) TimeZone(context.Context, string, string, string) (string, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.zone, z.err
}

func (z *profileZones) fail(err error) { z.mu.Lock(); defer z.mu.Unlock(); z.err = err }

// A learner whose platform profile cannot be read for a moment is neither
// planned nor sent a nudge by the default zone's clock, which is another
// hour of their day: the plan leaves them to the next, the delivery is
// retried, and both go by their own zone once the profile reads again.
func TestTimeZoneLookupFailure(t *testing.T) {
	f := setup(t)
	zones := &profileZones{zone: "Asia/Kathmandu"}
	svc, err := New(Config{Store: f.st, Sender: f.sender, Clock: f.clock.Now, DefaultTimeZone: paris, TimeZones: zones})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	f.cmd(t, "ann", "learn join security-basics")
	kathmandu, _ := time.LoadLocation("Asia/Kathmandu")
	slot := time.Date(2026, 3, 3, 9, 30, 0, 0, kathmandu) // 03:45 UTC
	from := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)

	zones.fail(errors.New("database is restarting"))
	plan, err := svc.Plan(t.Context(), from, from.Add(24*time.Hour))
	if err != nil || len(plan) != 0 {
		t.Fatalf("plan while the profile cannot be read = %+v, %v; want nothing planned", plan, err)
	}
	zones.fail(nil)
	plan, err = svc.Plan(t.Context(), from, from.Add(24*time.Hour))
	if err != nil || len(plan) != 1 || !plan[0].Slot.Equal(slot) {
		t.Fatalf("plan = %+v, %v; want ann's nudge at %v", plan, err, slot)
	}

	f.clock.Set(slot)
	zones.fail(errors.New("database is restarting"))
	if err := svc.Deliver(t.Context(), plan[0]); err == nil {
		t.Fatal("delivered while the learner's time zone could not be read; want an error, for River to retry")
	}
	zones.fail(nil)
	f.clock.Set(slot.Add(time.Minute))
	if err := svc.Deliver(t.Context(), plan[0]); err != nil {
		t.Fatal(err)
	}
	if n := f.sender.count("ann"); n != 1 {
		t.Errorf("sent %d nudges, want 1 once the zone reads again", n)
	}
}
