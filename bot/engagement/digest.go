package engagement

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lorehq/lore/bot"
)

// Digest is the weekly summary a leader receives.
type Digest struct {
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	K        int       `json:"k"`
	Withheld bool      `json:"withheld,omitempty"`
	// WithheldDays counts the week's days of fewer than K people, which
	// no figure counts (Report.WithheldDays).
	WithheldDays int      `json:"withheld_days,omitempty"`
	Headline     []Figure `json:"headline"`
	// Gaps are the top three gaps that at least k people asked;
	// GapsWithheld counts the gaps of fewer people, which are not quoted.
	Gaps         []Gap      `json:"content_gaps"`
	GapsWithheld int        `json:"content_gaps_withheld,omitempty"`
	Review       []DocUse   `json:"documents_to_review"`
	Daily        []DayPoint `json:"daily"`
}

// headlineKeys are the digest's five figures.
var headlineKeys = []string{FigActiveLearners, FigQuestions, FigAnswerRate, FigHelpfulness, FigNudges}

// BuildDigest condenses a report.
func BuildDigest(r Report) Digest {
	d := Digest{Since: r.Since, Until: r.Until, K: r.K, Withheld: r.Withheld, WithheldDays: r.WithheldDays, Daily: r.Daily, GapsWithheld: r.GapsWithheld}
	for _, k := range headlineKeys {
		if f, ok := r.Figure(k); ok {
			d.Headline = append(d.Headline, f)
		}
	}
	d.Gaps = r.Gaps[:min(3, len(r.Gaps))]
	d.Review = r.ToReview
	return d
}

// Times words a count of occurrences: "1 time", "12 times".
func Times(n int) string {
	return plural(n, "time")
}

// FormatValue writes a figure's value for people: ratios as percentages.
func FormatValue(f Figure) string {
	if f.Ratio {
		return fmt.Sprintf("%.0f%%", f.Value*100)
	}
	if f.Value == math.Trunc(f.Value) {
		return fmt.Sprintf("%.0f", f.Value)
	}
	return fmt.Sprintf("%.1f", f.Value)
}

// FormatChange writes a figure's change from the previous period: points
// for ratios, a percentage for counts; "no comparison" when the previous
// period had too few people to compare with.
func FormatChange(f Figure) string {
	switch {
	case f.PreviousWithheld:
		return "no comparison"
	case f.Ratio:
		return fmt.Sprintf("%+.0f pts", f.Delta*100)
	case f.Change != nil:
		return fmt.Sprintf("%+.0f%%", *f.Change*100)
	case f.Value > 0:
		return "new"
	}
	return "±0"
}

// Text renders the digest as Markdown, for the shell and as a fallback.
// Gap questions and titles are user and document text: chat adapters
// escape them when they render the Reply.
func (d Digest) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Lore weekly digest* (%s to %s)\n\n", d.Since.Format("2 Jan"), d.Until.Add(-time.Second).Format("2 Jan 2006"))
	if d.Withheld {
		b.WriteString(d.WithheldText() + "\n")
		return b.String()
	}
	for _, f := range d.Headline {
		fmt.Fprintf(&b, "- %s: *%s* (%s)\n", f.Label, FormatValue(f), FormatChange(f))
	}
	if note := d.Note(); note != "" {
		fmt.Fprintf(&b, "\n_%s_\n", note)
	}
	if len(d.Gaps) > 0 || d.GapsWithheld > 0 {
		b.WriteString("\n*Top content gaps*\n")
		for _, g := range d.Gaps {
			owner := ""
			if g.Owner != "" {
				owner = ", suggested owner " + g.Owner
			}
			fmt.Fprintf(&b, "- “%s”, asked %s%s\n", quiet(g.Question), Times(g.Count), quiet(owner))
		}
		if d.GapsWithheld > 0 {
			fmt.Fprintf(&b, "- %s\n", WithheldGaps(d.GapsWithheld))
		}
	}
	if len(d.Review) > 0 {
		b.WriteString("\n*Documents to review*\n")
		for _, u := range d.Review {
			fmt.Fprintf(&b, "- %s: cited %s, %d 👎\n", quiet(titleOr(u)), Times(u.Citations), u.Unhelpful)
		}
	}
	return b.String()
}

// WithheldText says why a withheld digest has no figures.
func (d Digest) WithheldText() string {
	const text = "Too few people used Lore in this period to report on without identifying them"
	if d.K == 0 {
		return text + "."
	}
	return fmt.Sprintf("%s: no day had %d people or more.", text, d.K)
}

// Note says what the figures leave out, or "" when nothing: the days of
// fewer than K people.
func (d Digest) Note() string {
	if d.WithheldDays == 0 {
		return ""
	}
	return DaysLeftOut(d.WithheldDays, d.K) + " (shaded on the chart)."
}

// DaysLeftOut says how many days of a period had fewer than k people, and
// so count in none of its figures.
func DaysLeftOut(n, k int) string {
	if n == 1 {
		return fmt.Sprintf("1 day with fewer than %d people is left out of these figures", k)
	}
	return fmt.Sprintf("%d days with fewer than %d people are left out of these figures", n, k)
}

// WithheldGaps says how many gaps too few people asked to be quoted.
func WithheldGaps(n int) string {
	if n == 1 {
		return "1 gap asked by too few people to quote"
	}
	return fmt.Sprintf("%d gaps asked by too few people to quote", n)
}

// quiet keeps text from users and documents from notifying anyone when a
// chat platform renders the digest: mentions (@channel, @here, @everyone,
// @name) and Slack's <!channel> and <@U123> forms get a zero-width joiner
// after the @ or <, which breaks the mention and not the reading. Adapters
// escape for their platform too; a digest goes to leaders' channels, so it
// does not rely on that alone.
func quiet(s string) string {
	s = strings.ReplaceAll(s, "<!", "<\u2060!")
	s = strings.ReplaceAll(s, "<@", "<\u2060@")
	s = strings.ReplaceAll(s, "<#", "<\u2060#")
	return strings.ReplaceAll(s, "@", "@\u2060")
}

func titleOr(u DocUse) string {
	if u.Title != "" {
		return u.Title
	}
	return u.ID
}

// JSON renders the digest as indented JSON.
func (d Digest) JSON() ([]byte, error) {
	return json.MarshalIndent(d, "", "  ")
}

// Reply is the digest as a platform-neutral reply, for adapters to draw
// (Block Kit in Slack, an embed in Discord); the chart travels beside it
// (see Message).
func (d Digest) Reply() bot.Reply {
	return bot.Reply{Text: d.Text(), Private: true}
}

// PNG draws the chart of the digest: active learners and questions per day
// over its days (eight weeks), as a PNG of 900×400 pixels.
func (d Digest) PNG() ([]byte, error) {
	c, err := d.chart()
	if err != nil {
		return nil, err
	}
	w, err := c.WriterTo(9*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return buf.Bytes(), nil
}

// withheldColor shades the days whose figures are withheld.
var withheldColor = color.RGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}

// chartPlot is the plot PNG draws, with what it holds.
type chartPlot struct {
	*plot.Plot
	lines  []*plotter.Line
	points []*plotter.Scatter
	shades []*plotter.Polygon
	legend []string
}

// chart is the plot PNG draws. Each day is a point, so that a single day
// shows; the lines break at days withheld for having fewer than k people,
// which are shaded and named in the legend rather than drawn as zero.
func (d Digest) chart() (*chartPlot, error) {
	p := plot.New()
	c := &chartPlot{Plot: p}
	p.Title.Text = "Active learners and questions per day"
	p.X.Label.Text = "day (UTC)"
	p.Y.Label.Text = "people or questions per day"
	p.X.Tick.Marker = plot.TimeTicks{Format: "2 Jan"}
	p.Y.Tick.Marker = countTicks{}
	p.Legend.Top = true
	p.Legend.Left = true
	const day = 24 * 60 * 60.0
	// At least 0 to 4, so that small counts get whole-number ticks.
	top, activity, withheld := 4.0, false, false
	for _, dp := range d.Daily {
		withheld = withheld || dp.Withheld
		if !dp.Withheld {
			top = math.Max(top, float64(max(dp.Active, dp.Questions)))
			activity = activity || dp.Active > 0 || dp.Questions > 0
		}
	}
	if !activity && !withheld {
		p.Title.Text += ": no activity in these weeks"
	}
	// Room above the highest point for the legend.
	p.Y.Min, p.Y.Max = 0, top*1.25
	if len(d.Daily) == 0 {
		p.X.Min, p.X.Max = float64(d.Until.Add(-56*24*time.Hour).Unix()), float64(d.Until.Unix())
	} else {
		p.X.Min, p.X.Max = float64(d.Daily[0].Day.Unix())-day/2, float64(d.Daily[len(d.Daily)-1].Day.Unix())+day/2
	}
	p.Add(plotter.NewGrid())
	var shade *plotter.Polygon
	for _, run := range runs(d.Daily, true) {
		x0, x1 := float64(run[0].Day.Unix())-day/2, float64(run[len(run)-1].Day.Unix())+day/2
		poly, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: 0}, {X: x1, Y: 0}, {X: x1, Y: p.Y.Max}, {X: x0, Y: p.Y.Max}})
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		poly.Color, poly.LineStyle.Width = withheldColor, 0
		p.Add(poly)
		shade = poly
		c.shades = append(c.shades, poly)
	}
	for _, s := range []struct {
		name string
		val  func(DayPoint) int
		c    color.RGBA
	}{
		{"active learners", func(dp DayPoint) int { return dp.Active }, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}},
		{"questions", func(dp DayPoint) int { return dp.Questions }, color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}},
	} {
		var legend plot.Thumbnailer
		// One line per run of days that are not withheld.
		for _, run := range runs(d.Daily, false) {
			xys := make(plotter.XYs, len(run))
			for i, dp := range run {
				xys[i] = plotter.XY{X: float64(dp.Day.Unix()), Y: float64(s.val(dp))}
			}
			l, pts, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("chart %s: %w", s.name, err)
			}
			l.Color, l.Width = s.c, vg.Points(2)
			pts.Color, pts.Shape, pts.Radius = s.c, draw.CircleGlyph{}, vg.Points(2.5)
			p.Add(l, pts)
			c.lines, c.points = append(c.lines, l), append(c.points, pts)
			legend = l
		}
		if legend != nil {
			p.Legend.Add(s.name, legend)
			c.legend = append(c.legend, s.name)
		}
	}
	if shade != nil {
		const name = "withheld: too few people that day"
		p.Legend.Add(name, shade)
		c.legend = append(c.legend, name)
	}
	return c, nil
}

// runs splits days into runs of consecutive days that are withheld, or
// that are not.
func runs(days []DayPoint, withheld bool) [][]DayPoint {
	var out [][]DayPoint
	start := -1
	for i, dp := range days {
		switch {
		case dp.Withheld == withheld && start < 0:
			start = i
		case dp.Withheld != withheld && start >= 0:
			out, start = append(out, days[start:i]), -1
		}
	}
	if start >= 0 {
		out = append(out, days[start:])
	}
	return out
}

// countTicks marks a count axis with whole numbers written in full, with
// thousands separators (1,250,000), rather than in exponent notation.
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	out := ticks[:0]
	for _, t := range ticks {
		if t.Label != "" {
			if t.Value != math.Trunc(t.Value) {
				continue // no half a person
			}
			t.Label = Thousands(int64(t.Value))
		}
		out = append(out, t)
	}
	return out
}

// Thousands writes n with a comma between groups of three digits.
func Thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Message is a digest ready to send: the reply and its chart.
type Message struct {
	// Digest is the digest itself, for adapters that lay it out natively
	// (Block Kit fields, embed fields); Reply is the same as Markdown.
	Digest    Digest
	Reply     bot.Reply
	Chart     []byte // PNG
	ChartName string // file name for the upload
}

// Destination says where a leader wants the digest: a direct message, or a
// channel.
type Destination struct {
	Platform  string `json:"platform" yaml:"platform"`
	Workspace string `json:"workspace,omitempty" yaml:"workspace"`
	User      string `json:"user,omitempty" yaml:"user"`       // direct message to this user
	Channel   string `json:"channel,omitempty" yaml:"channel"` // or to this channel
}

// Sender delivers a digest. Chat adapters implement it: Slack as Block Kit
// with the chart uploaded, Discord as an embed with the chart attached,
// the shell as text and the path of the PNG.
type Sender interface {
	SendDigest(ctx context.Context, to Destination, m Message) error
}
