package storetest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records a skip or a failure instead of
// marking the test, and, as testing does, ends the goroutine that called it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// postgresURL calls PostgresURL on a goroutine of its own, which a skip or
// a failure ends.
func postgresURL(t *testing.T) (url string, r *recorder) {
	r = &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		url = PostgresURL(r)
	}()
	<-done
	return url, r
}

// Without a database, PostgreSQL tests skip with a hint that says how to
// enable them, except under CI, where they fail; with one, they use it.
func TestPostgresURL(t *testing.T) {
	// t.Setenv: not parallel.
	t.Setenv(PostgresURLEnv, "")
	t.Setenv("CI", "")
	if u, r := postgresURL(t); u != "" || r.failed != "" ||
		!strings.Contains(r.skipped, "make postgres") || !strings.Contains(r.skipped, "export "+PostgresURLEnv+"=postgres://") {
		t.Errorf("without a database or CI: url %q, skipped %q, failed %q; want a skip saying how to enable the tests", u, r.skipped, r.failed)
	}

	t.Setenv("CI", "true")
	if _, r := postgresURL(t); r.skipped != "" || !strings.Contains(r.failed, PostgresURLEnv+" is not set") {
		t.Errorf("under CI without a database: skipped %q, failed %q; want a failure", r.skipped, r.failed)
	}

	const url = "postgres://lore@db.example:5432/lore_test"
	t.Setenv(PostgresURLEnv, url)
	if u, r := postgresURL(t); u != url || r.skipped != "" || r.failed != "" {
		t.Errorf("with a database under CI: url %q, skipped %q, failed %q", u, r.skipped, r.failed)
	}
}
