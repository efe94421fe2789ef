package store

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Helpers for backends, so that they word errors and order results alike
// and callers see the same whichever database answered.

// Invalid returns an error wrapping ErrInvalidInput that says what is
// wrong.
func Invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}

// quotedIDBytes is how much of an id QuoteID shows: more than any real id
// needs to be recognised.
const quotedIDBytes = 64

// QuoteID quotes an id for an error message, as %q does, cut after
// quotedIDBytes bytes (between whole characters) with "…" after the quote:
// an id refused as overlong may be kilobytes long, and the message that
// refuses it must still be read at a glance.
func QuoteID(id string) string {
	if len(id) <= quotedIDBytes {
		return fmt.Sprintf("%q", id)
	}
	cut := quotedIDBytes
	for cut > 0 && !utf8.RuneStart(id[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", id[:cut])
}

// LockHeld returns the error of a TryLock refused because holder has the
// lease on the lock name until the given time. It wraps ErrLocked.
func LockHeld(name, holder string, until time.Time) error {
	return &LockHeldError{Name: name, Holder: holder, Until: until}
}

// LockHeldError says who holds a lock a TryLock could not take, so that a
// caller can tell a live holder from one it knows to be dead.
type LockHeldError struct {
	Name   string
	Holder string
	Until  time.Time
}

func (e *LockHeldError) Error() string {
	return fmt.Sprintf("%v: %s held by %s until %s", ErrLocked, e.Name, e.Holder, e.Until.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrLocked) hold.
func (e *LockHeldError) Unwrap() error { return ErrLocked }

// ChunksInOrder returns the views of byID in the order of ids, as
// Search.Chunks promises: ids missing from byID are omitted, and an id
// asked for twice is returned twice.
func ChunksInOrder(ids []int64, byID map[int64]ChunkView) []ChunkView {
	views := make([]ChunkView, 0, len(byID))
	for _, id := range ids {
		if v, ok := byID[id]; ok {
			views = append(views, v)
		}
	}
	return views
}
