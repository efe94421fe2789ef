package cli_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
)

const testPseudonymKey = "test-pseudonym-key-0123456789"

// seedEngagement records a week of questions by eight people, ending on
// 2026-03-09 (all on 8 March), six answered from the leave document and two not.
func seedEngagement(t *testing.T, db testDB) {
	t.Helper()
	st := db.open(t)
	end := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	for i := range 8 {
		at := end.Add(-6*time.Hour - time.Duration(i)*time.Minute)
		user := fmt.Sprintf("U%d", i)
		events := []store.Event{
			{ID: fmt.Sprintf("q%d", i), Time: at, Kind: store.EventQuestion, Platform: "slack", Channel: "C1", User: user, Question: "q"},
			{ID: fmt.Sprintf("a%d", i), Time: at.Add(time.Second), Kind: store.EventAnswer, Platform: "slack", Channel: "C1", User: user,
				Confident: i < 6, DocIDs: []string{"leave"}, Question: "where do I park my bike?"},
		}
		for _, e := range events {
			if err := st.RecordEvent(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		}
	}
	st.Close()
}

func TestAskRecordsStatementsAndExportsThem(t *testing.T) {
	t.Setenv("LORE_PSEUDONYM_KEY", testPseudonymKey)
	t.Setenv("LORE_XAPI_IRI_BASE", "https://lore.example.com/xapi")
	t.Setenv("USER", "alice@example.com")
	db, _ := ingested(t)
	db.run(t, "ask", leaveQuestion).wantCode(t, 0)
	r := db.run(t, "export", "statements", "--since", "2000-01-01")
	r.wantCode(t, 0)
	if strings.Contains(r.out, "alice") || strings.Contains(r.out, testPseudonymKey) {
		t.Fatalf("export reveals the user or the key:\n%s", r.out)
	}
	var verbs []string
	sc := bufio.NewScanner(strings.NewReader(r.out))
	for sc.Scan() {
		var st struct {
			ID    string              `json:"id"`
			Verb  struct{ ID string } `json:"verb"`
			Actor struct {
				Account struct{ HomePage, Name string } `json:"account"`
			} `json:"actor"`
			Object struct{ ID string } `json:"object"`
		}
		if err := json.Unmarshal(sc.Bytes(), &st); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if !strings.HasPrefix(st.Object.ID, "https://lore.example.com/xapi/") || st.Actor.Account.Name == "" {
			t.Errorf("statement = %+v", st)
		}
		verbs = append(verbs, st.Verb.ID)
	}
	want := []string{"http://adlnet.gov/expapi/verbs/asked", "http://adlnet.gov/expapi/verbs/experienced"}
	if fmt.Sprint(verbs) != fmt.Sprint(want) {
		t.Errorf("verbs = %v, want %v", verbs, want)
	}
	// Nothing after the question's day.
	if r := db.run(t, "export", "statements", "--since", "2000-01-01", "--until", "2001-01-01"); r.out != "" {
		t.Errorf("export of an empty range printed %q", r.out)
	}

	// The PLATFORM/USER form other commands take names the same person.
	db.run(t, "forget", "shell/a/b/alice@example.com").wantCode(t, cli.ExitUsage)
	r = db.run(t, "forget", "shell/alice@example.com")
	r.wantCode(t, 0)
	if !strings.Contains(r.out, "2 events deleted, 2 statements removed and queued for voiding") {
		t.Errorf("forget printed %q", r.out)
	}
	// Only the voiding statements are left, for the LRS (or whoever took
	// an earlier export).
	r = db.run(t, "export", "statements", "--since", "2000-01-01")
	if lines := strings.Split(strings.TrimSpace(r.out), "\n"); len(lines) != 2 || strings.Count(r.out, "/verbs/voided") != 2 {
		t.Errorf("statements left after forget, want two voiding statements: %s", r.out)
	}
	if n := db.counts(t).events; n != 0 {
		t.Errorf("%d events left after forget", n)
	}
}

func TestOptOutKeepsAnonymousCounts(t *testing.T) {
	t.Setenv("LORE_PSEUDONYM_KEY", testPseudonymKey)
	db, _ := ingested(t)
	db.run(t, "forget", "--opt-out", "bob").wantCode(t, 0)
	t.Setenv("USER", "bob")
	db.run(t, "ask", leaveQuestion).wantCode(t, 0)
	for _, e := range db.events(t, "") {
		if e.User != "" || e.Question != "" {
			t.Errorf("event of an opted-out person = %+v", e)
		}
	}
	if n := db.counts(t).events; n != 2 {
		t.Errorf("%d events, want the question and answer counted", n)
	}
	if r := db.run(t, "export", "statements", "--since", "2000-01-01"); r.out != "" {
		t.Errorf("statements of an opted-out person: %s", r.out)
	}
}

func TestDigestFormats(t *testing.T) {
	db := newDB(t)
	seedEngagement(t, db)
	r := db.run(t, "digest", "--until", "2026-03-09", "--format", "json")
	r.wantCode(t, 0)
	var d struct {
		Headline []struct {
			Key   string  `json:"key"`
			Value float64 `json:"value"`
		} `json:"headline"`
		Gaps []struct {
			Question string `json:"question"`
			Count    int    `json:"count"`
		} `json:"content_gaps"`
		GapsWithheld int `json:"content_gaps_withheld"`
	}
	if err := json.Unmarshal([]byte(r.out), &d); err != nil {
		t.Fatalf("digest JSON: %v\n%s", err, r.out)
	}
	if len(d.Headline) != 5 || d.Headline[0].Key != "active_learners" || d.Headline[0].Value != 8 || d.Headline[1].Value != 8 {
		t.Errorf("headline = %+v", d.Headline)
	}
	// Two people asked where to park their bike: too few to quote.
	if len(d.Gaps) != 0 || d.GapsWithheld != 1 || strings.Contains(r.out, "bike") {
		t.Errorf("gaps = %+v, %d withheld", d.Gaps, d.GapsWithheld)
	}

	chart := filepath.Join(t.TempDir(), "chart.png")
	r = db.run(t, "digest", "--until", "2026-03-09", "--chart", chart)
	r.wantCode(t, 0)
	if !strings.Contains(r.out, "Answer rate: *75%*") || !strings.Contains(r.out, "Chart: "+chart) {
		t.Errorf("text digest:\n%s", r.out)
	}
	wantPNG(t, chart)

	out := filepath.Join(t.TempDir(), "only.png")
	r = db.run(t, "digest", "--until", "2026-03-09", "--format", "png", "--out", out)
	r.wantCode(t, 0)
	wantPNG(t, out)

	// Eight people with k=9 are too few to report on.
	t.Setenv("LORE_PRIVACY_K", "9")
	r = db.run(t, "digest", "--until", "2026-03-09")
	if !strings.Contains(r.out, "Too few people") || strings.Contains(r.out, "Chart:") {
		t.Errorf("digest under the threshold:\n%s", r.out)
	}
	t.Setenv("LORE_PRIVACY_K", "2")
	db.run(t, "digest").wantCode(t, 2)
}

func wantPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("%s is not a PNG: %v", path, err)
	}
}

func TestExportCSV(t *testing.T) {
	db := newDB(t)
	seedEngagement(t, db)
	r := db.run(t, "export", "csv", "--until", "2026-03-09", "--table", "figures")
	r.wantCode(t, 0)
	rows, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range rows {
		if row[0] == "answer_rate" {
			found = true
			if row[2] != "0.75" {
				t.Errorf("answer_rate row = %v", row)
			}
		}
	}
	if !found || rows[0][0] != "metric" {
		t.Errorf("figures CSV:\n%s", r.out)
	}
	r = db.run(t, "export", "csv", "--until", "2026-03-09", "--table", "daily")
	r.wantCode(t, 0)
	// Days with fewer than k people are withheld (empty cells).
	if !strings.HasPrefix(r.out, "day,active_learners,questions\n") || !strings.Contains(r.out, "2026-03-08,8,8") {
		t.Errorf("daily CSV:\n%s", r.out)
	}
}

// What the privacy threshold leaves out of a table is said on stderr, so
// that a withheld table does not read as a period without activity.
func TestExportCSVSaysWhatIsWithheld(t *testing.T) {
	db := newDB(t)
	seedEngagement(t, db)
	for _, c := range []struct {
		args     []string
		note     string
		onlyHead bool
	}{
		// The week before the seeded one has nobody.
		{[]string{"--until", "2026-03-02", "--table", "figures"}, "no day from 23 Feb 2026 to 1 Mar 2026 had 5 people or more using Lore, too few to report on without identifying them", true},
		{[]string{"--until", "2026-03-02", "--table", "breakdown"}, "the table is withheld", true},
		{[]string{"--until", "2026-03-09", "--table", "figures"}, "previous, delta and relative_change are left empty", false},
		// Two people asked the unanswered question.
		{[]string{"--until", "2026-03-09", "--table", "gaps"}, "left out: 1 gap asked by too few people to quote", true},
	} {
		r := db.run(t, append([]string{"export", "csv"}, c.args...)...)
		r.wantCode(t, 0)
		if !strings.Contains(r.err, c.note) {
			t.Errorf("export csv %s: stderr does not say %q:\n%s", strings.Join(c.args, " "), c.note, r.err)
		}
		if lines := strings.Count(r.out, "\n"); c.onlyHead != (lines == 1) {
			t.Errorf("export csv %s: %d lines on stdout:\n%s", strings.Join(c.args, " "), lines, r.out)
		}
	}
	if r := db.run(t, "export", "csv", "--until", "2026-03-09", "--table", "daily"); r.err != "" {
		t.Errorf("a table with nothing withheld has a note:\n%s", r.err)
	}

	// One person alone on 4 March: the day counts in no table, and each
	// says so.
	st := db.open(t)
	if err := st.RecordEvent(t.Context(), store.Event{ID: "solo", Time: time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC), Kind: store.EventQuestion,
		Platform: "slack", Channel: "C1", User: "solo"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, table := range []string{"figures", "daily", "breakdown"} {
		r := db.run(t, "export", "csv", "--until", "2026-03-09", "--table", table)
		r.wantCode(t, 0)
		if !strings.Contains(r.err, "note: 1 day with fewer than 5 people is left out of these figures") {
			t.Errorf("export csv --table %s: stderr does not say a day is left out:\n%s", table, r.err)
		}
		if table == "figures" && !strings.Contains(r.out, "questions,Questions asked,8,") {
			t.Errorf("figures count the day of one person:\n%s", r.out)
		}
	}
}

func TestEngagementBadInput(t *testing.T) {
	db := newDB(t)
	for _, args := range [][]string{
		{"export", "statements"},
		{"export", "statements", "--since", "yesterday"},
		{"export", "csv", "--table", "people"},
		{"digest", "--format", "gif"},
		{"digest", "--period", "0d"},
		{"digest", "--period", "soon"},
		// Reports add up whole UTC days that are over.
		{"export", "csv", "--until", "2026-03-09T12:00:00Z"},
		{"export", "csv", "--until", "2026-03-09", "--period", "36h"},
		{"export", "csv", "--until", time.Now().AddDate(0, 0, 2).Format("2006-01-02")},
		{"digest", "--until", time.Now().AddDate(0, 0, 2).Format("2006-01-02")},
		// The store reads 0001-01-01, Go's zero time, as no bound: such a
		// period would report on everything ever recorded.
		{"export", "csv", "--until", "0001-01-01"},
		{"export", "csv", "--until", "0001-01-08"},
		{"digest", "--until", "1970-01-05"},
		{"forget"},
		{"retention", "--keep", "-3d"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := db.run(t, args...)
			r.wantCode(t, 2)
			if r.err == "" {
				t.Error("no message")
			}
		})
	}
	// A bad IRI base is refused.
	t.Setenv("LORE_XAPI_IRI_BASE", "lore.example.com")
	db.run(t, "forget", "bob").wantCode(t, 2)
}

// A deployment without xAPI keeps user ids all the same, so forget needs
// no pseudonym key: it deletes the person and pseudonymises the audit log.
// A malformed key is still a configuration error, refused without being
// echoed.
func TestForgetWithoutPseudonymKey(t *testing.T) {
	t.Setenv("LORE_PSEUDONYM_KEY", "")
	t.Setenv("USER", "bob")
	db, _ := ingested(t)
	db.run(t, "ask", leaveQuestion).wantCode(t, 0)
	if es := db.events(t, ""); len(es) != 2 || es[0].User != "bob" {
		t.Fatalf("events before forget = %+v, want bob's question and answer", es)
	}
	r := db.run(t, "forget", "bob")
	r.wantCode(t, 0)
	if !strings.Contains(r.out, "bob: 2 events deleted, 0 statements") {
		t.Errorf("forget printed %q", r.out)
	}
	if n := db.counts(t).events; n != 0 {
		t.Errorf("%d events left after forget", n)
	}
	a := db.run(t, "audit", "--json")
	if !strings.Contains(a.out, `"person.forget"`) || !strings.Contains(a.out, store.Forgotten) || strings.Contains(a.out, "bob") {
		t.Errorf("audit log after forget without a key:\n%s", a.out)
	}
	t.Setenv("LORE_PSEUDONYM_KEY", "short-secret")
	r = db.run(t, "forget", "bob")
	r.wantCode(t, 2)
	if strings.Contains(r.err+r.out, "short-secret") {
		t.Errorf("the key leaked: %q %q", r.out, r.err)
	}
}

func TestRetention(t *testing.T) {
	db := newDB(t)
	seedEngagement(t, db)
	r := db.run(t, "retention", "--keep", "7d")
	r.wantCode(t, 0)
	if !strings.HasPrefix(r.out, "16 events before") {
		t.Errorf("retention printed %q", r.out)
	}
	if n := db.counts(t).events; n != 0 {
		t.Errorf("%d events left", n)
	}
	// The daily counts survive for charts.
	r = db.run(t, "export", "csv", "--until", "2026-03-09", "--table", "daily", "--period", "7d")
	if !strings.Contains(r.out, "2026-03-08,8,8") {
		t.Errorf("daily CSV after retention:\n%s", r.out)
	}
}

// Retention folds whole days, the one the cut falls in too: a period
// under a day (1m typed for a month) would fold the questions asked a
// minute ago. --keep refuses it, as LORE_RETENTION does, folding nothing.
func TestRetentionRefusesLessThanADay(t *testing.T) {
	db, _ := ingested(t)
	db.run(t, "ask", leaveQuestion).wantCode(t, 0)
	before := db.counts(t).events
	if before == 0 {
		t.Fatal("the question recorded no event")
	}
	for _, keep := range []string{"1m", "90m", "23h"} {
		r := db.run(t, "retention", "--keep", keep)
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, "at least a day") {
			t.Errorf("--keep %s: stderr %q does not say the least period", keep, r.err)
		}
	}
	if n := db.counts(t).events; n != before {
		t.Errorf("%d events left, want the %d recorded", n, before)
	}
	db.run(t, "retention", "--keep", "24h").wantCode(t, 0)
}

var dashboardRE = regexp.MustCompile(`dashboard on (http://[0-9.:]+)/dashboard`)

func TestDashboardCommand(t *testing.T) {
	db := newDB(t)
	seedEngagement(t, db)
	t.Setenv("LORE_DASHBOARD_TOKEN", "dashboard-token-0123456789")
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"dashboard", "--listen=127.0.0.1:0", db.flag()}, cli.Stdio{In: strings.NewReader(""), Out: io.Discard, Err: stderr})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("lore dashboard exited with %d:\n%s", code, stderr)
		}
	}()
	var base string
	waitFor(t, "the dashboard to listen", 20*time.Second, func() bool {
		m := dashboardRE.FindStringSubmatch(stderr.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(base+"/dashboard/login", url.Values{"token": {"dashboard-token-0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(base + "/dashboard?until=2026-03-09")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(page), `data-metric="answer_rate"`) || !strings.Contains(string(page), "75%") {
		t.Errorf("dashboard after sign-in = %d\n%s", resp.StatusCode, page)
	}
	if strings.Contains(stderr.String(), "dashboard-token-0123456789") {
		t.Error("the admin token was logged")
	}
}

func TestDashboardCommandNeedsSignIn(t *testing.T) {
	db := newDB(t)
	t.Setenv("LORE_DASHBOARD_TOKEN", "")
	t.Setenv("LORE_OIDC_ISSUER", "")
	r := db.run(t, "dashboard", "--listen=127.0.0.1:0")
	r.wantCode(t, 2)
	if !strings.Contains(r.err, "LORE_DASHBOARD_TOKEN") {
		t.Errorf("stderr = %q", r.err)
	}
	t.Setenv("LORE_DASHBOARD_TOKEN", "short")
	r = db.run(t, "dashboard", "--listen=127.0.0.1:0")
	r.wantCode(t, 2)
	if strings.Contains(r.err, "short") && !strings.Contains(r.err, "at least 16") {
		t.Errorf("stderr = %q", r.err)
	}
}

func TestBenchInsights(t *testing.T) {
	r := run(t, "bench", "insights", "--events", "3000", "--people", "300", "--views", "3", "--json")
	r.wantCode(t, 0)
	obj := decodeObject(t, r.out, "events", "people", "seed_s", "digest_s", "dashboard_p95_ms", "dashboard_cold_ms", "dashboard_views")
	var events int
	if err := json.Unmarshal(obj["events"], &events); err != nil || events != 3000 {
		t.Errorf("events = %s", obj["events"])
	}
	for _, k := range []string{"seed_s", "digest_s", "dashboard_p95_ms"} {
		var v float64
		if err := json.Unmarshal(obj[k], &v); err != nil || v <= 0 {
			t.Errorf("%s = %s, want a positive number", k, obj[k])
		}
	}
	run(t, "bench", "insights", "--events", "0").wantCode(t, 2)
}

func TestDigestPerLeader(t *testing.T) {
	db := newDB(t)
	seedEngagement(t, db)
	leaders := filepath.Join(t.TempDir(), "leaders.json")
	writeFile(t, leaders, []byte(`[{"name":"Ana","time_zone":"Europe/Paris","to":{"platform":"slack","user":"U1"}},
		{"name":"Ben","time_zone":"Pacific/Auckland","to":{"platform":"discord","channel":"leads"}}]`))
	// At 2026-03-09T12:00Z it is 10 March in Auckland, whose 08:00 is
	// 19:00 on the 9th, UTC; in Paris 08:00 on the 9th is 07:00 UTC. Both
	// weeks are the seven UTC days before the 9th, which hold the 8th.
	r := db.run(t, "digest", "--leaders", leaders, "--until", "2026-03-09T12:00:00Z", "--format", "json")
	r.wantCode(t, 0)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"leader":"Ana"`) || !strings.Contains(lines[1], `"leader":"Ben"`) {
		t.Fatalf("per-leader digests:\n%s", r.out)
	}
	for _, line := range lines {
		if !strings.Contains(line, `"since":"2026-03-02T00:00:00Z","until":"2026-03-09T00:00:00Z"`) || !strings.Contains(line, `"key":"active_learners","label":"Active learners","value":8`) {
			t.Errorf("a leader's week is not 2 to 8 March, UTC, with its 8 people:\n%s", line)
		}
	}
	r = db.run(t, "digest", "--leaders", leaders, "--leader", "Ana", "--until", "2026-03-09T12:00:00Z")
	r.wantCode(t, 0)
	if !strings.HasPrefix(r.out, "== Ana (Europe/Paris) ==") || strings.Contains(r.out, "Ben") {
		t.Errorf("Ana's digest:\n%s", r.out)
	}
	db.run(t, "digest", "--leaders", leaders, "--leader", "Zoe").wantCode(t, 2)
	writeFile(t, leaders, []byte(`{not json`))
	db.run(t, "digest", "--leaders", leaders).wantCode(t, 2)
}
