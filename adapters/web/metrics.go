package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the figures /metrics exposes to Prometheus. Every method is
// safe for concurrent use and cheap enough for the answering path.
type Metrics struct {
	registry *prometheus.Registry

	questions      *prometheus.CounterVec
	answers        *prometheus.CounterVec
	answerSeconds  *prometheus.HistogramVec
	retrievalScore prometheus.Histogram
	nudges         *prometheus.CounterVec
	platformErrors *prometheus.CounterVec
	rateLimitWaits *prometheus.HistogramVec
}

// Answer outcomes, the "outcome" label of lore_answers_total.
const (
	OutcomeGrounded = "grounded" // a confident answer with citations
	OutcomeNoAnswer = "no_answer"
	OutcomeFallback = "fallback" // the model failed; the extractive answer was given
	OutcomeError    = "error"
)

// NewMetrics registers Lore's metrics, with the Go runtime's and the
// process's, on a registry of their own.
func NewMetrics() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.questions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lore_questions_total", Help: "Questions asked, by platform.",
	}, []string{"platform"})
	m.answers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lore_answers_total", Help: "Answers given, by platform and outcome (grounded, no_answer, fallback, error).",
	}, []string{"platform", "outcome"})
	m.answerSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "lore_answer_duration_seconds", Help: "Time from a question to its complete answer.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"platform"})
	m.retrievalScore = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "lore_retrieval_confidence", Help: "Confidence of the best retrieved passage for each question (0 to 1); a drift down means content gaps.",
		Buckets: prometheus.LinearBuckets(0.1, 0.1, 9),
	})
	m.nudges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lore_nudges_total", Help: "Nudge events: delivered, opened, answered, snoozed, failed.",
	}, []string{"event"})
	m.platformErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lore_platform_api_errors_total", Help: "Errors from chat platforms' APIs, by platform and method.",
	}, []string{"platform", "method"})
	m.rateLimitWaits = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "lore_platform_rate_limit_wait_seconds", Help: "Waits imposed by chat platforms' rate limits (429 Retry-After).",
		Buckets: []float64{.1, .5, 1, 2, 5, 10, 30, 60},
	}, []string{"platform"})
	m.registry.MustRegister(m.questions, m.answers, m.answerSeconds, m.retrievalScore, m.nudges, m.platformErrors, m.rateLimitWaits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Question counts one question.
func (m *Metrics) Question(platform string) { m.questions.WithLabelValues(platform).Inc() }

// Answer records one answer's outcome, time and best retrieval confidence
// (negative when there was no retrieval, as for an error).
func (m *Metrics) Answer(platform, outcome string, took time.Duration, confidence float64) {
	m.answers.WithLabelValues(platform, outcome).Inc()
	m.answerSeconds.WithLabelValues(platform).Observe(took.Seconds())
	if confidence >= 0 {
		m.retrievalScore.Observe(confidence)
	}
}

// Nudge counts one nudge event.
func (m *Metrics) Nudge(event string) { m.nudges.WithLabelValues(event).Inc() }

// PlatformError counts one failed call to a chat platform's API.
func (m *Metrics) PlatformError(platform, method string) {
	m.platformErrors.WithLabelValues(platform, method).Inc()
}

// RateLimitWait records a wait a platform's rate limit imposed.
func (m *Metrics) RateLimitWait(platform string, d time.Duration) {
	m.rateLimitWaits.WithLabelValues(platform).Observe(d.Seconds())
}

// JobCount is how many jobs of one kind are in one state.
type JobCount struct {
	Kind, State string
	N           int
}

// QueueDepth reports jobs by kind and state; it is called at each scrape.
type QueueDepth func(ctx context.Context) ([]JobCount, error)

// WatchQueue exposes lore_jobs{kind,state} from depth, read at scrape time
// so that every replica reports the shared queue's current state.
func (m *Metrics) WatchQueue(depth QueueDepth, log *slog.Logger) {
	m.registry.MustRegister(&queueCollector{depth: depth, log: log,
		desc: prometheus.NewDesc("lore_jobs", "Background jobs in the shared queue, by kind and state.", []string{"kind", "state"}, nil)})
}

type queueCollector struct {
	depth QueueDepth
	log   *slog.Logger
	desc  *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.depth(ctx)
	if err != nil {
		// A scrape during a database outage still returns the other
		// metrics; the gap in lore_jobs shows the outage.
		if c.log != nil {
			c.log.Warn("metrics: reading the job queue failed", "err", err)
		}
		return
	}
	for _, jc := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(jc.N), jc.Kind, jc.State)
	}
}

// Register adds GET /metrics to mux.
func (m *Metrics) Register(mux *http.ServeMux) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
}
