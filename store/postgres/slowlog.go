package postgres

import (
	"context"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// DefaultSlowStatement is how long a statement runs before the store logs
// it, unless Options.SlowStatement says otherwise.
const DefaultSlowStatement = 500 * time.Millisecond

// slowLog is a pgx.QueryTracer that logs statements slower than limit.
// It logs with the statement's context, so that a handler that reads
// request ids from contexts puts the message's id on the line: one
// question's path can then be followed from the adapter into the store.
type slowLog struct {
	log   *slog.Logger
	limit time.Duration
}

type statementStart struct{}

type startedStatement struct {
	at  time.Time
	sql string
}

func (t slowLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, statementStart{}, startedStatement{at: time.Now(), sql: data.SQL})
}

func (t slowLog) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	st, ok := ctx.Value(statementStart{}).(startedStatement)
	if !ok {
		return
	}
	took := time.Since(st.at)
	if took < t.limit {
		return
	}
	// The statement text is Lore's own SQL with placeholders; arguments,
	// which may hold people's questions, are never logged.
	t.log.WarnContext(ctx, "slow database statement", "took_ms", took.Milliseconds(),
		"statement", abbreviate(st.sql, 200), "failed", data.Err != nil)
}

// abbreviate shortens s to at most n bytes on a rune boundary.
func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
