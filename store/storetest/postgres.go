package storetest

import (
	"fmt"
	"net/url"
	"os"
	"testing"
)

// PostgresURLEnv names the variable that points tests at a PostgreSQL
// database with pgvector; `make test` sets it.
const PostgresURLEnv = "LORE_TEST_DATABASE_URL"

// PostgresURL returns the test database URL. Without one the test is
// skipped with a hint on how to enable it, except when CI is set: there a
// missing database must fail, not pass as green.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(PostgresURLEnv)
	if u != "" {
		return u
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s is not set, and CI must run the PostgreSQL tests: run `make postgres` and export the URL it prints", PostgresURLEnv)
	}
	tb.Skipf("%s is not set: run `make postgres`, then export %s=postgres://postgres@127.0.0.1:5432/lore_test?sslmode=disable to run the PostgreSQL tests",
		PostgresURLEnv, PostgresURLEnv)
	return ""
}

// WithParams adds connection settings to a PostgreSQL URL or key=value
// string.
func WithParams(base string, params map[string]string) string {
	if u, err := url.Parse(base); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for k, v := range params {
		base += fmt.Sprintf(" %s=%s", k, v)
	}
	return base
}
