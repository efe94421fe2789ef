package cli

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/adapters/web"
	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/eval"
	"github.com/lorehq/lore/store"
)

// insightsResult is the --json shape of lore bench insights; later checks
// rely on its keys.
type insightsResult struct {
	Events          int     `json:"events"`
	People          int     `json:"people"`
	SeedSeconds     float64 `json:"seed_s"`
	DigestSeconds   float64 `json:"digest_s"`
	DashboardP95ms  float64 `json:"dashboard_p95_ms"`
	DashboardColdMS float64 `json:"dashboard_cold_ms"`
	DashboardViews  int     `json:"dashboard_views"`
}

// Ceilings of lore bench insights' sizes; docs/benchmarks.md measured 10
// million events of 20,000 people, each run 50 views.
const (
	// maxInsightsEvents is ten times the events measured, whose seeding
	// took 5 to 12 minutes; far beyond it (about 290 million) the events'
	// spacing over the year would overflow.
	maxInsightsEvents = 100_000_000
	// maxInsightsPeople is fifty times the people measured.
	maxInsightsPeople = 1_000_000
	// maxInsightsViews is two hundred times the views measured; each is a
	// timed request whose latency is kept.
	maxInsightsViews = 10_000
)

// benchEnd is the Monday the benchmark's year of events ends on, fixed so
// that runs compare.
var benchEnd = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func (a *app) benchInsightsCommand() *cobra.Command {
	var events, people, views int
	var asJSON, seeded bool
	cmd := &cobra.Command{
		Use:   "insights --events N",
		Short: "Benchmark the weekly digest and the dashboard over a year of engagement events",
		Long: `Seed N synthetic engagement events over a year for --people people into a
fresh temporary SQLite store (or --db, which should be a scratch database),
then time the weekly digest (metrics of the last week against the week
before, eight weeks of daily activity, the PNG chart) and --views loads of
the dashboard's default view. The first load computes the view
(dashboard_cold_ms); later loads within a minute reuse it, as the dashboard
does for every visitor.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if events <= 0 || people <= 0 || views <= 0 {
				return usageErrorf("--events, --people and --views must be positive")
			}
			if err := cmp.Or(overLimit("events", events, maxInsightsEvents), overLimit("people", people, maxInsightsPeople),
				overLimit("views", views, maxInsightsViews)); err != nil {
				return err
			}
			ctx := cmd.Context()
			svc, cleanup, err := a.evalStore(ctx)
			if err != nil {
				return err
			}
			defer cleanup()
			began := time.Now()
			if seeded && a.dbURL == "" {
				return usageErrorf("--seeded needs --db: a database this benchmark seeded before")
			}
			res, err := runInsightsBench(ctx, svc.store, events, people, views, seeded, func(done int) {
				fmt.Fprintf(a.io.Err, "seeded %d of %d events in %.1f s\n", done, events, time.Since(began).Seconds())
			})
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.io.Out, "events      %d for %d people over a year\nseed        %.1f s\ndigest      %.2f s\ndashboard   p95 %.1f ms over %d views (first, computing: %.0f ms)\n",
				res.Events, res.People, res.SeedSeconds, res.DigestSeconds, res.DashboardP95ms, res.DashboardViews, res.DashboardColdMS)
			return nil
		},
	}
	cmd.Flags().IntVar(&events, "events", 100000, "number of synthetic events")
	cmd.Flags().IntVar(&people, "people", 20000, "number of people")
	cmd.Flags().IntVar(&views, "views", 50, "number of timed dashboard loads")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	cmd.Flags().BoolVar(&seeded, "seeded", false, "the --db database already holds this benchmark's events: time the digest and dashboard only")
	return cmd
}

// seedBatch is the events written per transaction.
const seedBatch = 50000

func runInsightsBench(ctx context.Context, st store.Store, n, people, views int, seeded bool, progress func(int)) (insightsResult, error) {
	res := insightsResult{Events: n, People: people, DashboardViews: views}
	if !seeded {
		if err := seedInsights(ctx, st, n, people, progress, &res); err != nil {
			return res, err
		}
	}
	return timeInsights(ctx, st, views, res)
}

func seedInsights(ctx context.Context, st store.Store, n, people int, progress func(int), res *insightsResult) error {
	start := time.Now()
	if err := seedDocuments(ctx, st); err != nil {
		return err
	}
	progress(0)
	rng := rand.New(rand.NewPCG(1, 2))
	// Activity is skewed: a few people ask a lot, most rarely.
	zipf := rand.NewZipf(rng, 1.1, 8, uint64(people-1))
	year := int64(365 * 24 * time.Hour / time.Millisecond)
	first := benchEnd.Add(-365 * 24 * time.Hour)
	gaps := []string{"how do I book a parking space", "where is the gym", "can I bring my dog to the office",
		"who approves conference travel", "what is the wifi password for guests"}
	channels := []string{"general", "help-hr", "help-it", "engineering", "sales", "support", "finance", "random"}
	batch := make([]store.Event, 0, seedBatch)
	lastAnswer := ""
	for i := range n {
		u := int(zipf.Uint64())
		e := store.Event{
			// In time order, as a log is written, a few seconds of jitter.
			ID: "bench-" + strconv.Itoa(i), Time: first.Add(time.Duration(int64(i)*year/int64(n)+rng.Int64N(5000)) * time.Millisecond),
			Platform: []string{"slack", "discord"}[u%2], Workspace: "W1", Channel: channels[u%len(channels)],
			User: "person-" + strconv.Itoa(u), Direct: u%3 == 0,
		}
		switch p := rng.IntN(100); {
		case p < 35:
			e.Kind = store.EventQuestion
		case p < 70:
			e.Kind, e.LatencyMS = store.EventAnswer, 200+rng.Int64N(800)
			if rng.IntN(10) < 8 {
				e.Confident, e.DocIDs = true, []string{benchDocID(rng.IntN(200))}
			} else {
				e.Question = gaps[rng.IntN(len(gaps))] + []string{"?", " please?", " today?"}[rng.IntN(3)]
			}
			lastAnswer = e.ID
		case p < 80:
			e.Kind, e.Value, e.Ref = store.EventFeedback, []int{1, 1, 1, -1}[rng.IntN(4)], lastAnswer
		case p < 90:
			e.Kind, e.Ref = engagement.KindNudgeDelivered, "card-"+strconv.Itoa(rng.IntN(500))
		case p < 95:
			e.Kind, e.Ref = engagement.KindNudgeOpened, "card-"+strconv.Itoa(rng.IntN(500))
		default:
			e.Kind, e.Ref, e.Value = engagement.KindNudgeAnswered, "card-"+strconv.Itoa(rng.IntN(500)), []int{1, -1}[rng.IntN(2)]
		}
		batch = append(batch, e)
		if len(batch) == seedBatch || i == n-1 {
			if err := st.RecordEvents(ctx, batch); err != nil {
				return fmt.Errorf("seed events: %w", err)
			}
			batch = batch[:0]
			if (i+1)%1000000 < seedBatch || i == n-1 {
				progress(i + 1)
			}
		}
	}
	res.SeedSeconds = time.Since(start).Seconds()
	return nil
}

func timeInsights(ctx context.Context, st store.Store, views int, res insightsResult) (insightsResult, error) {
	t := time.Now()
	week := engagement.Filter{Since: benchEnd.AddDate(0, 0, -7), Until: benchEnd}
	if _, err := engagement.BuildMessage(ctx, st, week, engagement.Options{}); err != nil {
		return res, fmt.Errorf("digest: %w", err)
	}
	res.DigestSeconds = time.Since(t).Seconds()

	d, err := web.NewDashboard(ctx, web.DashboardConfig{
		Source: st, AdminToken: "bench-admin-token-0123456789", SessionKey: []byte(strings.Repeat("k", 32)),
		// Early on the day after: the default view, which ends with
		// yesterday, is the seeded year's last week.
		Clock: func() time.Time { return benchEnd.Add(time.Hour) },
	})
	if err != nil {
		return res, err
	}
	h := d.Handler()
	login := httptest.NewRecorder()
	form := httptest.NewRequest("POST", "/dashboard/login", strings.NewReader(url.Values{"token": {"bench-admin-token-0123456789"}}.Encode())).WithContext(ctx)
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(login, form)
	cookies := login.Result().Cookies()
	lat := make([]time.Duration, 0, views)
	for i := range views {
		req := httptest.NewRequest("GET", "/dashboard", nil).WithContext(ctx)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		t := time.Now()
		h.ServeHTTP(rec, req)
		elapsed := time.Since(t)
		if rec.Code != http.StatusOK {
			return res, fmt.Errorf("dashboard view %d: HTTP %d", i, rec.Code)
		}
		if i == 0 {
			res.DashboardColdMS = ms(elapsed)
		}
		lat = append(lat, elapsed)
	}
	res.DashboardP95ms = ms(eval.Percentile(lat, 95))
	return res, nil
}

func benchDocID(i int) string { return fmt.Sprintf("bench-doc-%03d", i) }

// seedDocuments stores the 200 documents the synthetic answers cite.
func seedDocuments(ctx context.Context, st store.Store) error {
	v := make([]float32, embed.DefaultDimensions)
	v[0] = 1
	for i := range 200 {
		doc := store.Document{ID: benchDocID(i), Collection: "bench", Source: benchDocID(i) + ".md",
			Title: "Bench document " + strconv.Itoa(i), Tags: []string{"topic-" + strconv.Itoa(i%12)}, Owner: "owner-" + strconv.Itoa(i%7)}
		if err := st.ReplaceDocument(ctx, doc, []store.Chunk{{Text: doc.Title, Terms: []string{"bench"}, Vector: v}}); err != nil {
			return fmt.Errorf("seed documents: %w", err)
		}
	}
	return nil
}
