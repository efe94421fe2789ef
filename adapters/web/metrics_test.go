package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	mux := http.NewServeMux()
	m.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics = %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
	m.Question("slack")
	m.Question("slack")
	m.Answer("slack", OutcomeGrounded, 120*time.Millisecond, 0.8)
	m.Answer("slack", OutcomeNoAnswer, 30*time.Millisecond, 0.2)
	m.Answer("discord", OutcomeError, time.Millisecond, -1)
	m.Nudge("delivered")
	m.PlatformError("slack", "chat.postMessage")
	m.RateLimitWait("slack", 2*time.Second)
	depth := []JobCount{{Kind: "ingest", State: "available", N: 7}, {Kind: "ingest", State: "running", N: 2}, {Kind: "nudge_plan", State: "completed", N: 1}}
	var depthErr error
	m.WatchQueue(func(context.Context) ([]JobCount, error) { return depth, depthErr }, nil)

	out := scrape(t, m)
	for _, want := range []string{
		`lore_questions_total{platform="slack"} 2`,
		`lore_answers_total{outcome="grounded",platform="slack"} 1`,
		`lore_answers_total{outcome="no_answer",platform="slack"} 1`,
		`lore_answers_total{outcome="error",platform="discord"} 1`,
		`lore_answer_duration_seconds_count{platform="slack"} 2`,
		`lore_retrieval_confidence_count 2`, // the error had no retrieval
		`lore_nudges_total{event="delivered"} 1`,
		`lore_platform_api_errors_total{method="chat.postMessage",platform="slack"} 1`,
		`lore_platform_rate_limit_wait_seconds_sum{platform="slack"} 2`,
		`lore_jobs{kind="ingest",state="available"} 7`,
		`lore_jobs{kind="ingest",state="running"} 2`,
		`lore_jobs{kind="nudge_plan",state="completed"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// The queue unreadable: the scrape still succeeds without lore_jobs.
	depthErr = errors.New("database unavailable")
	out = scrape(t, m)
	if strings.Contains(out, "lore_jobs{") || !strings.Contains(out, "lore_questions_total") {
		t.Fatalf("scrape with the queue unreadable:\n%s", out)
	}
}
