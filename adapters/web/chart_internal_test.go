package web

import (
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
)

func day(n, active, questions int, withheld bool) engagement.DayPoint {
	return engagement.DayPoint{
		DayActivity: store.DayActivity{Day: time.Date(2026, 3, n, 0, 0, 0, 0, time.UTC), Active: active, Questions: questions},
		Withheld:    withheld,
	}
}

// A withheld day is shaded and breaks the lines; it is never drawn as a
// zero, and its figures do not set the scale.
func TestChartShadesWithheldDays(t *testing.T) {
	svg := string(chartSVG([]engagement.DayPoint{
		day(2, 12, 30, false), day(3, 14, 25_000, false),
		day(4, 0, 0, true),
		day(5, 9, 11, false), day(6, 10, 12, false),
	}, 5))
	if n := strings.Count(svg, `<rect class="withheld"`); n != 1 || !strings.Contains(svg, "<title>4 Mar: fewer than 5 people, withheld</title>") {
		t.Errorf("%d withheld bands, want 1 titled for 4 Mar:\n%s", n, svg)
	}
	if strings.Contains(svg, "4 Mar: 0") {
		t.Errorf("the withheld day is drawn as zero:\n%s", svg)
	}
	if n := strings.Count(svg, `<polyline class="series" data-series="questions"`); n != 2 {
		t.Errorf("%d question lines, want the line broken in two at the withheld day", n)
	}
	if n := strings.Count(svg, `<circle data-series="active learners"`); n != 4 {
		t.Errorf("%d points of active learners, want one per shown day (4)", n)
	}
	if !strings.Contains(svg, ">25,000</text>") || !strings.Contains(svg, ">people, questions</text>") {
		t.Errorf("the y axis lacks its top value written in full or its label:\n%s", svg)
	}
}

// A single day, and a period of zeros, still draw something readable.
func TestChartOneDayAndZeros(t *testing.T) {
	one := string(chartSVG([]engagement.DayPoint{day(2, 7, 3, false)}, 5))
	if strings.Count(one, "<circle") != 2 {
		t.Errorf("one day: want a point per series:\n%s", one)
	}
	zeros := string(chartSVG([]engagement.DayPoint{day(2, 0, 0, false), day(3, 0, 0, false)}, 5))
	if strings.Contains(zeros, "NaN") || strings.Contains(zeros, "Inf") || !strings.Contains(zeros, ">1</text>") {
		t.Errorf("zeros: want a scale of 0 to 1 and no NaN:\n%s", zeros)
	}
}
