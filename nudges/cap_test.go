package nudges

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

// plannedCard is a nudge of one new card of security-basics planned for
// slot, as the planner queues it.
func (f *fixture) plannedCard(t *testing.T, user, cardID string, slot time.Time) DeliverArgs {
	t.Helper()
	v, err := f.svc.tracks.get(t.Context(), "security-basics", 0)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := v.Card(cardID)
	if !ok {
		t.Fatalf("no card %s", cardID)
	}
	return DeliverArgs{Platform: "slack", Workspace: "T1", User: user, Slot: slot.UTC(),
		Cards: []store.DeliveryCard{{TrackID: v.ID, CardID: c.ID, Version: v.Version, Fingerprint: c.Fingerprint()}}}
}

// The daily cap holds for the learner's calendar day across all their
// deliveries, on-demand and scheduled, and that day is 25 hours long when
// the clocks go back (Paris, Sunday 25 October 2026): cards sent late the
// evening before do not count, cards sent just after midnight still count
// at 23:50, 24 h 40 min later.
func TestDailyCapHoldsForTheLocalDayAcrossDeliveries(t *testing.T) {
	f := setup(t)
	f.clock.Set(time.Date(2026, 10, 24, 23, 0, 0, 0, paris))
	for _, c := range []string{"nudges time 23:50", "nudges days mon-sun", "nudges cap 1"} {
		f.cmd(t, "ann", c)
	}
	f.clock.Set(time.Date(2026, 10, 24, 23, 50, 0, 0, paris))
	if r := f.cmd(t, "ann", "learn join security-basics"); !strings.Contains(r.Text, "Here is your first one") {
		t.Fatalf("join = %q", r.Text)
	}
	// Sunday, 20 minutes later: a new day, a new card.
	f.clock.Set(time.Date(2026, 10, 25, 0, 10, 0, 0, paris))
	if r := f.cmd(t, "ann", "nudge"); !strings.Contains(r.Text, "Where do you report") {
		t.Fatalf("nudge just after midnight = %q; want the next card", r.Text)
	}
	f.clock.Set(time.Date(2026, 10, 25, 0, 20, 0, 0, paris))
	if r := f.cmd(t, "ann", "nudge"); !strings.Contains(r.Text, "your cap is 1 card a day") {
		t.Errorf("second nudge of the day = %q; want the cap reached", r.Text)
	}
	// The nudge planned for Sunday's slot sends nothing: the day's card
	// came with "nudge".
	sunday := f.plannedCard(t, "ann", "one-sign-in-page", time.Date(2026, 10, 25, 23, 50, 0, 0, paris))
	f.clock.Set(sunday.Slot)
	if err := f.svc.Deliver(t.Context(), sunday); err != nil {
		t.Fatal(err)
	}
	if n := f.sender.count("ann"); n != 0 {
		t.Errorf("Sunday's planned nudge sent %d messages past the cap: %q", n, f.sender.sent["ann"][0].Text)
	}
	if s := deliveryStatus(t, f, sunday); s != store.DeliveryCancelled {
		t.Errorf("Sunday's planned nudge is %s, want cancelled", s)
	}
	// Monday's slot brings it.
	monday := f.plannedCard(t, "ann", "one-sign-in-page", time.Date(2026, 10, 26, 23, 50, 0, 0, paris))
	f.clock.Set(monday.Slot)
	if err := f.svc.Deliver(t.Context(), monday); err != nil {
		t.Fatal(err)
	}
	if n := f.sender.count("ann"); n != 1 || !strings.Contains(f.sender.sent["ann"][0].Text, "One sign-in page") {
		t.Errorf("Monday's nudge: sent %d, %v; want the card left out on Sunday", n, f.sender.sent["ann"])
	}
}

// A scheduled nudge trimmed by what the learner fetched earlier the same
// day keeps its first cards, within the cap.
func TestPlannedNudgeTrimmedToWhatTheCapLeaves(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "nudges cap 2")
	f.cmd(t, "ann", "learn join security-basics") // Monday 08:00: one card
	two := f.plannedCard(t, "ann", "report-phish", time.Date(2026, 3, 2, 9, 30, 0, 0, paris))
	more := f.plannedCard(t, "ann", "one-sign-in-page", two.Slot)
	two.Cards = append(two.Cards, more.Cards...)
	f.clock.Set(two.Slot)
	if err := f.svc.Deliver(t.Context(), two); err != nil {
		t.Fatal(err)
	}
	d, err := f.st.Delivery(t.Context(), DeliveryID(two.learner(), two.Slot))
	if err != nil || d.Status != store.DeliverySent || len(d.Cards) != 1 || d.Cards[0].CardID != "report-phish" {
		t.Errorf("delivery = %+v, %v; want report-phish alone sent", d, err)
	}
}

// pausingStore stops the first CompleteDelivery until released.
type pausingStore struct {
	Store
	paused  atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (p *pausingStore) CompleteDelivery(ctx context.Context, d store.DeliveryDone) error {
	if p.paused.CompareAndSwap(false, true) {
		close(p.entered)
		<-p.release
	}
	return p.Store.CompleteDelivery(ctx, d)
}

// "nudge" typed while a scheduled nudge is being sent, or a scheduled
// nudge whose job runs while "nudge" is being recorded, never sends one
// card twice, on both stores: a learner has one delivery being sent at a
// time, and the cards are picked once it is held.
func TestOnDemandAndScheduledNudgeSendACardOnce(t *testing.T) {
	for name, open := range nudgeBackends {
		t.Run(name+"/nudge during a scheduled send", func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			snd := &gateSender{sending: make(chan struct{}, 10), release: make(chan struct{})}
			r := newDeliveryRig(t, open, snd, nil, "ann")
			a := r.plan[0] // the first card, report-dont-worry
			delivered := make(chan error, 1)
			go func() { delivered <- r.svc.Deliver(ctx, a) }()
			<-snd.sending
			manual := make(chan string, 1)
			go func() {
				rep, _ := r.svc.HandleCommand(ctx, msg("ann", "nudge"), "nudge", "")
				manual <- rep.Text
			}()
			got := <-manual
			close(snd.release)
			if err := <-delivered; err != nil {
				t.Fatal(err)
			}
			if strings.Contains(got, "Report, don't worry") || !strings.Contains(got, "being sent to you right now") {
				t.Errorf("nudge while the scheduled one is sent = %q", got)
			}
			rep, _ := r.svc.HandleCommand(ctx, msg("ann", "nudge"), "nudge", "")
			if !strings.Contains(rep.Text, "Where do you report") {
				t.Errorf("nudge afterwards = %q; want the next card", rep.Text)
			}
		})
		t.Run(name+"/scheduled send during nudge", func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			snd := &sender{}
			var ps *pausingStore
			r := newDeliveryRig(t, open, snd, func(st Store) Store {
				ps = &pausingStore{Store: st, entered: make(chan struct{}), release: make(chan struct{})}
				return ps
			}, "ann")
			a := r.plan[0]
			// A minute after the slot: the job runs a little late, and
			// "nudge" is a delivery of its own.
			r.clock.Set(a.Slot.Add(time.Minute))
			manual := make(chan string, 1)
			go func() {
				rep, _ := r.svc.HandleCommand(ctx, msg("ann", "nudge"), "nudge", "")
				manual <- rep.Text
			}()
			<-ps.entered // "nudge" is recording the card
			err := r.svc.Deliver(ctx, a)
			close(ps.release)
			if !errors.Is(err, store.ErrLocked) {
				t.Errorf("scheduled nudge while \"nudge\" is recorded: %v; want ErrLocked, for River to retry", err)
			}
			if got := <-manual; !strings.Contains(got, "Report, don't worry") {
				t.Fatalf("nudge = %q", got)
			}
			// River's retry finds the card delivered and sends nothing.
			if err := r.svc.Deliver(ctx, a); err != nil {
				t.Fatal(err)
			}
			if n := snd.count("ann"); n != 0 {
				t.Errorf("the scheduled nudge sent %d messages; its card came with \"nudge\": %q", n, snd.sent["ann"][0].Text)
			}
		})
	}
}
