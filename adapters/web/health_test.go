package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func get(t *testing.T, h http.Handler, path string) (int, Readiness) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var r Readiness
	if path == "/readyz" {
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("%s body %q: %v", path, rec.Body.String(), err)
		}
	}
	return rec.Code, r
}

func TestReadinessFollowsChecks(t *testing.T) {
	h := NewHealth(50 * time.Millisecond)
	var storeErr error
	h.Add("store", func(context.Context) error { return storeErr })
	h.Add("queue", func(context.Context) error { return nil })
	mux := http.NewServeMux()
	h.Register(mux)

	if code, _ := get(t, mux, "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	code, r := get(t, mux, "/readyz")
	if code != http.StatusOK || !r.Ready || r.Checks["store"] != "ok" || r.Checks["queue"] != "ok" {
		t.Fatalf("all checks pass: /readyz = %d %+v", code, r)
	}

	storeErr = errors.New("database unavailable")
	code, r = get(t, mux, "/readyz")
	if code != http.StatusServiceUnavailable || r.Ready || r.Checks["store"] != "database unavailable" || r.Checks["queue"] != "ok" {
		t.Fatalf("store down: /readyz = %d %+v", code, r)
	}
	// Liveness does not depend on the dependencies.
	if code, _ := get(t, mux, "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz with the store down = %d", code)
	}
}

func TestReadinessCheckTimesOut(t *testing.T) {
	h := NewHealth(20 * time.Millisecond)
	h.Add("hangs", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	r := h.Ready(context.Background())
	if r.Ready || r.Checks["hangs"] != context.DeadlineExceeded.Error() {
		t.Fatalf("a hanging check: %+v", r)
	}
}
