package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/bot/engagement/jobs"
)

type flusher struct {
	n   int
	err error
}

func (f *flusher) Flush(context.Context) (int, error) { return f.n, f.err }

type compactor struct{ before time.Time }

func (c *compactor) Compact(_ context.Context, before time.Time) (int, error) {
	c.before = before
	return 3, nil
}

func TestForwardWorkerKeepsFailuresForNextPeriod(t *testing.T) {
	w := &jobs.ForwardWorker{Forwarder: &flusher{n: 2, err: errors.New("LRS down")}}
	if err := w.Work(t.Context(), &river.Job[jobs.ForwardArgs]{}); err != nil {
		t.Errorf("Work = %v, want nil: the outbox keeps what failed", err)
	}
}

func TestRetentionWorkerCutsAtKeep(t *testing.T) {
	now := time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC)
	c := &compactor{}
	w := &jobs.RetentionWorker{Store: c, Keep: 30 * 24 * time.Hour, Clock: func() time.Time { return now }}
	if err := w.Work(t.Context(), &river.Job[jobs.RetentionArgs]{}); err != nil {
		t.Fatal(err)
	}
	if want := now.AddDate(0, 0, -30); !c.before.Equal(want) {
		t.Errorf("compacted before %v, want %v", c.before, want)
	}
}

func TestRegister(t *testing.T) {
	workers := river.NewWorkers()
	periodic, err := jobs.Register(workers, jobs.Config{
		Forwarder: &flusher{}, Digester: &engagement.Digester{}, Retention: &compactor{}, Keep: 365 * 24 * time.Hour,
	})
	if err != nil || len(periodic) != 3 {
		t.Fatalf("Register = %d jobs, %v", len(periodic), err)
	}
	if _, err := jobs.Register(river.NewWorkers(), jobs.Config{Retention: &compactor{}, Keep: time.Hour}); err == nil {
		t.Error("a retention of one hour was accepted")
	}
}
