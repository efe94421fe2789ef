// Package web is Lore's HTTP edge: the liveness and readiness probes that
// orchestrators poll, the metrics Prometheus scrapes, and the pages served
// to people's browsers (the leaders' dashboard and its sign-in).
package web

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Check reports whether one dependency is usable; nil means ready.
type Check func(ctx context.Context) error

// Health answers /healthz and /readyz.
//
// Liveness says the process serves HTTP at all; an orchestrator restarts a
// process that fails it. Readiness says it can do its work now (database
// reachable, job queue running, chat connections up); a process that fails
// it gets no traffic but is not restarted, since the cause (a database
// restart) is usually outside it and passes by itself.
type Health struct {
	timeout time.Duration
	mu      sync.RWMutex
	checks  map[string]Check
}

// DefaultCheckTimeout bounds each readiness check, so that a probe answers
// before the orchestrator's own timeout even when a dependency hangs.
const DefaultCheckTimeout = 2 * time.Second

// NewHealth returns a Health with no checks; timeout 0 means
// DefaultCheckTimeout.
func NewHealth(timeout time.Duration) *Health {
	if timeout <= 0 {
		timeout = DefaultCheckTimeout
	}
	return &Health{timeout: timeout, checks: map[string]Check{}}
}

// Add registers a readiness check under name, replacing one of that name.
func (h *Health) Add(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = c
}

// Readiness is the /readyz body.
type Readiness struct {
	Ready bool `json:"ready"`
	// Checks maps each check to "ok" or what is wrong.
	Checks map[string]string `json:"checks"`
}

// Ready runs every check concurrently, each bounded by the timeout.
func (h *Health) Ready(ctx context.Context) Readiness {
	h.mu.RLock()
	names := make([]string, 0, len(h.checks))
	for name := range h.checks {
		names = append(names, name)
	}
	sort.Strings(names)
	checks := make([]Check, len(names))
	for i, name := range names {
		checks[i] = h.checks[name]
	}
	h.mu.RUnlock()

	results := make([]string, len(names))
	var wg sync.WaitGroup
	for i, check := range checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, h.timeout)
			defer cancel()
			results[i] = "ok"
			if err := check(cctx); err != nil {
				results[i] = err.Error()
			}
		})
	}
	wg.Wait()
	r := Readiness{Ready: true, Checks: make(map[string]string, len(names))}
	for i, name := range names {
		r.Checks[name] = results[i]
		if results[i] != "ok" {
			r.Ready = false
		}
	}
	return r
}

// Register adds GET /healthz and GET /readyz to mux.
func (h *Health) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		res := h.Ready(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if !res.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(res)
	})
}
