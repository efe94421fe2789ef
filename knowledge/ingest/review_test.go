package ingest

import (
	"errors"
	"testing"
	"time"
)

func TestParseReviewBy(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{"2025-06-30", time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), false},
		{" 2025-06-30 ", time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), false},
		{"2025-06-30T09:00:00+02:00", time.Date(2025, 6, 30, 7, 0, 0, 0, time.UTC), false},
		{"", time.Time{}, false},
		{"next spring", time.Time{}, true},
		{"2025-02-30", time.Time{}, true},
		{"30/06/2025", time.Time{}, true},
	} {
		got, err := ParseReviewBy(c.in)
		if c.bad != (err != nil) || !got.Equal(c.want) {
			t.Errorf("ParseReviewBy(%q) = %v, %v; want %v, bad %v", c.in, got, err, c.want, c.bad)
		}
		if c.bad && !errors.Is(err, ErrBadReviewDate) {
			t.Errorf("ParseReviewBy(%q): error %v does not wrap ErrBadReviewDate", c.in, err)
		}
	}
}
