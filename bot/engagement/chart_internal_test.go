package engagement

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var chartEnd = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)

func chartDays(n int, f func(i int) DayPoint) []DayPoint {
	days := make([]DayPoint, n)
	for i := range days {
		days[i] = f(i)
		days[i].Day = chartEnd.AddDate(0, 0, i-n)
	}
	return days
}

func day(active, questions int, withheld bool) DayPoint {
	return DayPoint{DayActivity: store.DayActivity{Active: active, Questions: questions}, Withheld: withheld}
}

// drawnPoints returns the x of every point the chart's lines and points
// draw, and the number of points drawn as marks.
func drawnPoints(t *testing.T, p *chartPlot) (xs map[float64]bool, marks int) {
	t.Helper()
	xs = map[float64]bool{}
	for _, l := range p.lines {
		for _, xy := range l.XYs {
			xs[xy.X] = true
		}
	}
	for _, sc := range p.points {
		for _, xy := range sc.XYs {
			xs[xy.X] = true
		}
		marks += len(sc.XYs)
	}
	return xs, marks
}

func render(t *testing.T, d Digest) *chartPlot {
	t.Helper()
	png1, err := d.PNG()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(png1)); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	p, err := d.chart()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func yLabels(p *chartPlot) []string {
	var labels []string
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	return labels
}

// Days withheld for having fewer than k people are not drawn as zero: the
// lines skip them, and they are shaded and named in the legend.
func TestChartShowsWithheldDaysAsWithheld(t *testing.T) {
	days := chartDays(14, func(i int) DayPoint {
		if i == 4 || i == 5 {
			return day(0, 0, true)
		}
		return day(6+i, 9+i, false)
	})
	p := render(t, Digest{Until: chartEnd, Daily: days})
	xs, _ := drawnPoints(t, p)
	for _, i := range []int{4, 5} {
		if xs[float64(days[i].Day.Unix())] {
			t.Errorf("withheld day %s is drawn as a point", days[i].Day.Format("2 Jan"))
		}
	}
	if !xs[float64(days[3].Day.Unix())] || !xs[float64(days[6].Day.Unix())] {
		t.Error("the days around the withheld ones are not drawn")
	}
	shaded, legend := len(p.shades) > 0, p.legend
	if !shaded || !strings.Contains(strings.Join(legend, "|"), "withheld") {
		t.Errorf("withheld days are not shaded (%v) or not in the legend %q", shaded, legend)
	}
}

// A single day is a visible point, not a line of one point, which draws
// nothing; and the axes say what they count.
func TestChartOfOneDay(t *testing.T) {
	p := render(t, Digest{Until: chartEnd, Daily: chartDays(1, func(int) DayPoint { return day(7, 12, false) })})
	if _, marks := drawnPoints(t, p); marks != 2 {
		t.Errorf("%d points marked, want one per series", marks)
	}
	if p.X.Min >= float64(chartEnd.AddDate(0, 0, -1).Unix()) || p.X.Max <= float64(chartEnd.AddDate(0, 0, -1).Unix()) {
		t.Errorf("x axis %v to %v does not hold the day", p.X.Min, p.X.Max)
	}
	if p.Y.Label.Text == "" || p.X.Label.Text == "" {
		t.Errorf("axis labels %q and %q", p.X.Label.Text, p.Y.Label.Text)
	}
}

// Large counts are written in full, not in exponent notation; a chart of
// nothing has a count axis from zero up, and says there was no activity.
func TestChartAxisForLargeAndZeroCounts(t *testing.T) {
	p := render(t, Digest{Until: chartEnd, Daily: chartDays(56, func(i int) DayPoint { return day(1_200_000+i, 45_000_000+i*100_000, false) })})
	labels := yLabels(p)
	if len(labels) < 2 || strings.Contains(strings.Join(labels, " "), "e+") || !strings.Contains(strings.Join(labels, " "), ",000,000") {
		t.Errorf("y labels for millions = %q", labels)
	}
	for _, daily := range [][]DayPoint{nil, chartDays(56, func(int) DayPoint { return day(0, 0, false) })} {
		p := render(t, Digest{Until: chartEnd, Daily: daily})
		if p.Y.Min != 0 || p.Y.Max < 1 {
			t.Errorf("%d days of nothing: y axis %v to %v", len(daily), p.Y.Min, p.Y.Max)
		}
		for _, l := range yLabels(p) {
			if strings.HasPrefix(l, "-") || strings.Contains(l, ".") {
				t.Errorf("%d days of nothing: y label %q", len(daily), l)
			}
		}
		if !strings.Contains(p.Title.Text, "no activity") {
			t.Errorf("%d days of nothing: title %q", len(daily), p.Title.Text)
		}
	}
}
