package engagement

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/lorehq/lore/store"
)

// RecorderStore is what a Recorder writes to.
type RecorderStore interface {
	store.Events
	AddStatements(ctx context.Context, ss []store.Statement) error
	OptedOut(ctx context.Context, user string) (bool, error)
}

// Recorder is an event log with analytics attached, the one lore gives the
// bot, the peer capability and curation: it records each event with its
// xAPI statement, and records the events of
// people who opted out of analytics only as anonymous counts (no person,
// thread or text, and no statement). The store drops opted-out people from
// their events too, whoever writes them; the Recorder's own check is what
// keeps their statements from being made. It satisfies bot.EventLog.
type Recorder struct {
	st     RecorderStore
	mapper *Mapper
	log    *slog.Logger
}

// NewRecorder returns a Recorder over st. m may be nil (no pseudonym key
// configured): events are then recorded without statements. log may be
// nil.
func NewRecorder(st RecorderStore, m *Mapper, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.Default()
	}
	return &Recorder{st: st, mapper: m, log: log}
}

// RecordEvent records e and its statement. The event is the record of
// truth and is written first; a statement that cannot be stored is
// reported, and the event stays.
func (r *Recorder) RecordEvent(ctx context.Context, e store.Event) error {
	if r.mapper == nil {
		// The store drops an opted-out person from the event itself;
		// the statement is all a Recorder adds.
		return r.st.RecordEvent(ctx, e)
	}
	if e.User != "" {
		out, err := r.st.OptedOut(ctx, e.User)
		if err != nil {
			return fmt.Errorf("record event: %w", err)
		}
		if out {
			e.User, e.Thread, e.Question = "", "", ""
		}
	}
	if err := r.st.RecordEvent(ctx, e); err != nil {
		return err
	}
	if e.User == "" {
		return nil
	}
	st, err := r.mapper.Statement(e)
	if errors.Is(err, ErrUnmapped) {
		r.log.DebugContext(ctx, "event without statement", "kind", e.Kind, "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	stored, err := Stored(st, e.User)
	if err != nil {
		return err
	}
	if err := r.st.AddStatements(ctx, []store.Statement{stored}); err != nil {
		return fmt.Errorf("record statement of event %s: %w", e.ID, err)
	}
	return nil
}

// Events lists events, as store.Events does.
func (r *Recorder) Events(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	return r.st.Events(ctx, f)
}
