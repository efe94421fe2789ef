package queue_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/nudges"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/postgres"
	"github.com/lorehq/lore/store/queue"
	"github.com/lorehq/lore/store/sqlite"
)

// jobTable reaches into River's river_job table of one database, to put
// jobs in states an insert-only client cannot and to read what is left.
type jobTable struct {
	// setState makes a job running or completed.
	setState func(t *testing.T, id int64, state string)
	// user returns the "user" argument of a job, and false when the job
	// is gone.
	user func(t *testing.T, id int64) (string, bool)
}

// A full store Forget removes the jobs that name the person, in the
// database River shares with Lore: planned nudges must not reach them and
// finished jobs must not keep their id; a running job is left to River
// but loses the id.
func TestForgetRemovesJobsNamingThePersonOnSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lore.db")
	st, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db, err := queue.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := queue.MigrateSQLite(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	c, err := queue.NewSQLite(db, queue.Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	testForgetJobs(t, st, c, jobTable{
		setState: func(t *testing.T, id int64, state string) {
			q := `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now') WHERE id = ?`
			if state == "completed" {
				q = `UPDATE river_job SET state = 'completed', attempt = 1, finalized_at = datetime('now') WHERE id = ?`
			}
			if _, err := db.ExecContext(t.Context(), q, id); err != nil {
				t.Fatal(err)
			}
		},
		user: func(t *testing.T, id int64) (string, bool) {
			var user sql.NullString
			err := db.QueryRowContext(t.Context(), `SELECT args ->> '$.user' FROM river_job WHERE id = ?`, id).Scan(&user)
			if errors.Is(err, sql.ErrNoRows) {
				return "", false
			}
			if err != nil {
				t.Fatal(err)
			}
			return user.String, true
		},
	})
}

func TestForgetRemovesJobsNamingThePersonOnPostgres(t *testing.T) {
	admin := openPool(t, "lore-queue-test", 4)
	schema := newSchema(t, admin)
	st, err := postgres.Open(t.Context(), testURL(t), postgres.Options{Schema: schema, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := queue.Migrate(t.Context(), admin, schema); err != nil {
		t.Fatal(err)
	}
	c, err := queue.New(admin, queue.Config{Logger: testLogger(t), Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	table := pgx.Identifier{schema, "river_job"}.Sanitize()
	testForgetJobs(t, st, c, jobTable{
		setState: func(t *testing.T, id int64, state string) {
			q := `UPDATE ` + table + ` SET state = 'running', attempt = 1, attempted_at = now() WHERE id = $1`
			if state == "completed" {
				q = `UPDATE ` + table + ` SET state = 'completed', attempt = 1, finalized_at = now() WHERE id = $1`
			}
			if _, err := admin.Exec(t.Context(), q, id); err != nil {
				t.Fatal(err)
			}
		},
		user: func(t *testing.T, id int64) (string, bool) {
			var user *string
			err := admin.QueryRow(t.Context(), `SELECT args->>'user' FROM `+table+` WHERE id = $1`, id).Scan(&user)
			if errors.Is(err, pgx.ErrNoRows) {
				return "", false
			}
			if err != nil {
				t.Fatal(err)
			}
			if user == nil {
				return "", true
			}
			return *user, true
		},
	})
}

func testForgetJobs(t *testing.T, st store.Store, c queue.Client, jobs jobTable) {
	slot := time.Now().Add(time.Hour).UTC().Truncate(time.Minute)
	insert := func(user string, slot time.Time) int64 {
		t.Helper()
		args := nudges.DeliverArgs{Platform: "slack", Workspace: "T1", User: user, Slot: slot}
		opts := args.InsertOpts()
		opts.ScheduledAt = slot
		res, err := c.Insert(context.WithoutCancel(t.Context()), args, &opts)
		if err != nil {
			t.Fatal(err)
		}
		return res.Job.ID
	}
	planned := insert("U1", slot)
	done := insert("U1", slot.Add(-24*time.Hour))
	jobs.setState(t, done, "completed")
	sending := insert("U1", slot.Add(-time.Minute))
	jobs.setState(t, sending, "running")
	someoneElse := insert("U2", slot)
	// A job about no one, with nothing named user.
	noOne, err := c.Insert(t.Context(), plainArgs{Seq: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// An analytics opt-out is no reason to stop someone's nudges.
	if _, err := st.Forget(t.Context(), "U1", true); err != nil {
		t.Fatal(err)
	}
	if _, ok := jobs.user(t, planned); !ok {
		t.Fatal("an analytics opt-out deleted a planned nudge")
	}

	if _, err := st.Forget(t.Context(), "U1", false); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]int64{"planned nudge": planned, "finished nudge": done} {
		if user, ok := jobs.user(t, id); ok {
			t.Errorf("the %s of a forgotten person is still queued, for %q", name, user)
		}
	}
	if user, ok := jobs.user(t, sending); !ok || user != "" {
		t.Errorf("the running nudge: kept %v, user %q; want it left to River, naming no one", ok, user)
	}
	if user, ok := jobs.user(t, someoneElse); !ok || user != "U2" {
		t.Errorf("someone else's nudge: kept %v, user %q; want it untouched", ok, user)
	}
	if _, ok := jobs.user(t, noOne.Job.ID); !ok {
		t.Error("a job about no one was deleted")
	}
}
