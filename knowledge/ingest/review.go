package ingest

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrBadReviewDate means a review_by value is not a date. The document is
// still read; only its review date is left out.
var ErrBadReviewDate = errors.New("review_by is not a date")

// ParseReviewBy reads a front matter review_by value: a date written
// YYYY-MM-DD (the start of that day, UTC) or an RFC 3339 time. An empty
// value is no date (zero time, no error); anything else is an error
// wrapping ErrBadReviewDate that quotes the value.
func ParseReviewBy(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return time.Time{}, fmt.Errorf("%w: %q (want YYYY-MM-DD, such as 2025-06-30)", ErrBadReviewDate, v)
}
