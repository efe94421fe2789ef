package cli_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

// A short load over two replicas on one PostgreSQL: every event is
// acknowledged and answered exactly once.
func TestBenchServe(t *testing.T) {
	db := "--db=" + postgresURL(t)
	run(t, "migrate", db).wantCode(t, cli.ExitOK)
	// The replicas are this test binary standing in for lore (TestMain).
	t.Setenv("LORE_TEST_AS_CLI", "1")
	r := run(t, "bench", "serve", db, "--exe="+os.Args[0], "--rate=20", "--seconds=2", "--replicas=2", "--json")
	r.wantCode(t, cli.ExitOK)
	var res struct {
		Events     int     `json:"events"`
		Answered   int     `json:"answered"`
		Duplicates int     `json:"duplicates"`
		Lost       int     `json:"lost"`
		Errors     int     `json:"errors"`
		AckP99     float64 `json:"ack_p99_ms"`
		AnswerP99  float64 `json:"answer_p99_ms"`
		Replicas   []struct {
			CPU float64 `json:"cpu_s"`
			RSS float64 `json:"peak_rss_mb"`
		} `json:"replicas"`
	}
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatalf("bench serve --json: %v\n%s", err, r.out)
	}
	if res.Events != 40 || res.Answered != 40 || res.Duplicates != 0 || res.Lost != 0 || res.Errors != 0 {
		t.Fatalf("bench serve: %+v\n%s", res, r.err)
	}
	if res.AckP99 <= 0 || res.AnswerP99 < res.AckP99/10 || len(res.Replicas) != 2 || res.Replicas[0].RSS <= 0 {
		t.Fatalf("bench serve figures: %+v", res)
	}
}

// Each fault of lore bench serve, in a short load over two replicas: a
// database restart, Slack's 429 and 500 bursts and a hanging model lose
// nothing and answer nothing twice; a killed replica answers nothing
// twice, and every event is accounted for.
func TestBenchServeFaults(t *testing.T) {
	db := "--db=" + postgresURL(t)
	run(t, "migrate", db).wantCode(t, cli.ExitOK)
	t.Setenv("LORE_TEST_AS_CLI", "1")
	for _, fault := range []string{"postgres-restart", "slack-errors", "model-hang", "kill-replica"} {
		t.Run(fault, func(t *testing.T) {
			r := run(t, "bench", "serve", db, "--exe="+os.Args[0], "--rate=10", "--seconds=3", "--replicas=2", "--fault="+fault, "--json")
			r.wantCode(t, cli.ExitOK)
			var res struct {
				Events, Answered, Duplicates, Lost, Errors int
				Fault                                      string  `json:"fault"`
				Note                                       string  `json:"fault_note"`
				AnswerP50                                  float64 `json:"answer_p50_ms"`
			}
			if err := json.Unmarshal([]byte(r.out), &res); err != nil {
				t.Fatalf("--json: %v\n%s", err, r.out)
			}
			if res.Fault != fault || res.Note == "" || res.Events != 30 || res.Duplicates != 0 || res.Answered+res.Lost != res.Events {
				t.Fatalf("%s: %+v\n%s", fault, res, r.err)
			}
			if fault != "kill-replica" && (res.Answered != res.Events || res.Errors != 0) {
				t.Fatalf("%s lost events: %+v\n%s", fault, res, r.err)
			}
			if fault == "model-hang" && res.AnswerP50 < 2000 {
				t.Fatalf("answers came before the 2 s answer timeout although the model hangs: %+v", res)
			}
		})
	}
	run(t, "bench", "serve", db, "--fault=earthquake").wantCode(t, cli.ExitUsage)
	run(t, "bench", "serve", db, "--fault=kill-replica", "--replicas=1").wantCode(t, cli.ExitUsage)
}
