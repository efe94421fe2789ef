// Package bench measures nudge delivery end to end: it plans one virtual
// day of nudges for many learners spread over 20 time zones and delivers
// them through the real path (River jobs on the chosen database, unique per
// learner and slot, nudges.DeliverWorker, a Sender) into an in-process fake
// sender that counts duplicates and misses and times each nudge against its
// slot.
//
// The day is virtual: the service's clock jumps from one zone's delivery
// slot to the next, and each slot's jobs are enqueued when the clock
// reaches it, so the slot error is the real time between a slot falling
// due and its nudge reaching the sender.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/sync/errgroup"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/nudges"
	"github.com/lorehq/lore/nudges/samples"
	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
)

// Zones are the 20 time zones learners are spread over, from UTC+13 to
// UTC-10, a few with half-hour offsets.
var Zones = []string{
	"Pacific/Auckland", "Australia/Sydney", "Asia/Tokyo", "Asia/Shanghai", "Asia/Bangkok",
	"Asia/Kolkata", "Asia/Dubai", "Europe/Moscow", "Europe/Athens", "Europe/Paris",
	"Europe/London", "Atlantic/Azores", "America/Sao_Paulo", "America/Halifax", "America/New_York",
	"America/Chicago", "America/Denver", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
}

// Queue is the River client the bench drives.
type Queue interface {
	nudges.Inserter
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Config configures Run.
type Config struct {
	Store    nudges.Store
	Learners int
	// Rate limits the fake sender to this many nudges a second; 0 for no
	// limit.
	Rate float64
	// NewQueue returns a River client, not started, working workers.
	NewQueue func(workers *river.Workers) (Queue, error)
	// Day is the virtual day planned. Default Monday 2 March 2026.
	Day      time.Time
	Progress io.Writer // optional: a line per phase
}

// Result is what Run measured. JSON keys are part of the CLI's contract.
type Result struct {
	Learners      int     `json:"learners"`
	Zones         int     `json:"zones"`
	Planned       int     `json:"planned"`
	Delivered     int     `json:"delivered"`
	Duplicates    int     `json:"duplicates"`
	Missed        int     `json:"missed"`
	SeedSeconds   float64 `json:"seed_s"`
	PlanSeconds   float64 `json:"plan_s"`
	TotalSeconds  float64 `json:"total_s"`
	NudgesPerS    float64 `json:"nudges_per_s"`
	SlotErrorP50  float64 `json:"slot_error_p50_s"`
	SlotErrorP99  float64 `json:"slot_error_p99_s"`
	SlotErrorMax  float64 `json:"slot_error_max_s"`
	Rate          float64 `json:"rate,omitempty"`
	RateBoundSecs float64 `json:"rate_bound_s,omitempty"`
}

// sender is the fake platform: it counts nudges per learner and records
// when each arrived, optionally paced to a rate.
type sender struct {
	mu       sync.Mutex
	got      map[string]int
	arrived  map[string]time.Time
	received atomic.Int64
	rate     float64
	start    time.Time
	sent     int64
}

func (s *sender) SendDirect(ctx context.Context, _, _, user string, _ bot.Reply) (string, error) {
	if s.rate > 0 {
		// Pacing: the i-th message may leave at start + i/rate.
		s.mu.Lock()
		if s.start.IsZero() {
			s.start = time.Now()
		}
		at := s.start.Add(time.Duration(float64(s.sent) / s.rate * float64(time.Second)))
		s.sent++
		s.mu.Unlock()
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
	}
	now := time.Now()
	s.mu.Lock()
	s.got[user]++
	if s.got[user] == 1 {
		s.arrived[user] = now
	}
	s.mu.Unlock()
	s.received.Add(1)
	return "", nil
}

type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }
func userID(i int) string        { return fmt.Sprintf("u%07d", i) }
func (cfg Config) say(f string, a ...any) {
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, f+"\n", a...)
	}
}

// Run seeds cfg.Learners learners, plans their day and delivers it.
func Run(ctx context.Context, cfg Config) (Result, error) {
	res := Result{Learners: cfg.Learners, Zones: len(Zones), Rate: cfg.Rate}
	if cfg.Learners <= 0 || cfg.Store == nil || cfg.NewQueue == nil {
		return res, errors.New("bench nudges: learners, a store and a queue are required")
	}
	day := cfg.Day
	if day.IsZero() {
		day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	}
	vc := &clock{}
	vc.Set(day.Add(-24 * time.Hour))
	snd := &sender{got: map[string]int{}, arrived: map[string]time.Time{}, rate: cfg.Rate}
	svc, err := nudges.New(nudges.Config{Store: cfg.Store, Sender: snd, Clock: vc.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return res, err
	}
	tracks, err := track.LoadFS(samples.Tracks, "tracks")
	if err != nil {
		return res, err
	}
	if _, err := svc.Publish(ctx, tracks); err != nil {
		return res, err
	}

	t0 := time.Now()
	if err := seed(ctx, cfg, tracks[0].ID, vc.Now()); err != nil {
		return res, err
	}
	res.SeedSeconds = time.Since(t0).Seconds()
	cfg.say("seeded %d learners in %.1f s", cfg.Learners, res.SeedSeconds)

	// One day: from midnight in the zone furthest east to midnight after
	// the day in the zone furthest west.
	from, to := day.Add(-14*time.Hour), day.Add(36*time.Hour)
	start := time.Now()
	vc.Set(from)
	planned, err := svc.Plan(ctx, from, to)
	if err != nil {
		return res, err
	}
	res.PlanSeconds = time.Since(start).Seconds()
	res.Planned = len(planned)
	cfg.say("planned %d nudges in %.1f s", res.Planned, res.PlanSeconds)

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &nudges.DeliverWorker{Service: svc}); err != nil {
		return res, err
	}
	q, err := cfg.NewQueue(workers)
	if err != nil {
		return res, err
	}
	if err := q.Start(ctx); err != nil {
		return res, err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = q.Stop(stopCtx)
	}()

	bySlot := map[time.Time][]nudges.DeliverArgs{}
	for _, p := range planned {
		bySlot[p.Slot] = append(bySlot[p.Slot], p)
	}
	slots := make([]time.Time, 0, len(bySlot))
	for s := range bySlot {
		slots = append(slots, s)
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].Before(slots[j]) })

	due := make(map[string]time.Time, len(planned))
	var dueMu sync.Mutex
	for _, slot := range slots {
		batch := bySlot[slot]
		vc.Set(slot)
		now := time.Now()
		dueMu.Lock()
		for _, p := range batch {
			due[p.User] = now
		}
		dueMu.Unlock()
		// Counted before the jobs are queued: workers start on the first
		// jobs while the rest are still being inserted.
		want := snd.received.Load() + int64(len(batch))
		if _, err := nudges.Enqueue(ctx, q, batch); err != nil {
			return res, err
		}
		// The next zone's slot is an hour or more later in the virtual
		// day: wait for this one's nudges as the real day would.
		limit := 2 * time.Minute
		if cfg.Rate > 0 {
			limit += time.Duration(float64(len(batch)) / cfg.Rate * float64(time.Second))
		}
		deadline := time.Now().Add(limit)
		for snd.received.Load() < want && time.Now().Before(deadline) {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			time.Sleep(2 * time.Millisecond)
		}
		cfg.say("slot %s: %d nudges, %d received so far", slot.Format("15:04 MST"), len(batch), snd.received.Load())
	}
	res.TotalSeconds = time.Since(start).Seconds()
	// Give a late duplicate the chance to show up.
	time.Sleep(500 * time.Millisecond)

	snd.mu.Lock()
	defer snd.mu.Unlock()
	var lateness []float64
	for _, p := range planned {
		n := snd.got[p.User]
		switch {
		case n == 0:
			res.Missed++
		default:
			res.Delivered++
			res.Duplicates += n - 1
			lateness = append(lateness, snd.arrived[p.User].Sub(due[p.User]).Seconds())
		}
	}
	if res.TotalSeconds > 0 {
		res.NudgesPerS = float64(res.Delivered) / res.TotalSeconds
	}
	slices.Sort(lateness)
	res.SlotErrorP50, res.SlotErrorP99 = percentile(lateness, 50), percentile(lateness, 99)
	if len(lateness) > 0 {
		res.SlotErrorMax = lateness[len(lateness)-1]
	}
	if cfg.Rate > 0 {
		res.RateBoundSecs = float64(res.Planned) / cfg.Rate
	}
	return res, nil
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

// seed enrols the learners in one track, with their zone as preference.
func seed(ctx context.Context, cfg Config, trackID string, now time.Time) error {
	g, ctx := errgroup.WithContext(ctx)
	const parallel = 8
	for w := range parallel {
		g.Go(func() error {
			for i := w; i < cfg.Learners; i += parallel {
				l := store.Learner{Platform: "bench", Workspace: "W", User: userID(i)}
				p := nudges.DefaultPreferences(l)
				p.TimeZone = Zones[i%len(Zones)]
				if err := cfg.Store.SavePreferences(ctx, p); err != nil {
					return err
				}
				if err := cfg.Store.SaveEnrolment(ctx, store.Enrolment{Learner: l, TrackID: trackID,
					Status: store.EnrolmentActive, Source: "curator", JoinedAt: now}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}
