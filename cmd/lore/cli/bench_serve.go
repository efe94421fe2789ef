package cli

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/adapters/slack/slackfake"
	"github.com/lorehq/lore/knowledge/eval"
	"github.com/lorehq/lore/knowledge/handbook"
)

// serveBenchResult is the --json shape of lore bench serve; later checks
// rely on its keys.
type serveBenchResult struct {
	Rate        int            `json:"rate"`
	Seconds     float64        `json:"seconds"`
	Events      int            `json:"events"`
	Answered    int            `json:"answered"`
	Duplicates  int            `json:"duplicates"`
	Lost        int            `json:"lost"`
	Errors      int            `json:"errors"`
	AckP50ms    float64        `json:"ack_p50_ms"`
	AckP99ms    float64        `json:"ack_p99_ms"`
	AnswerP50ms float64        `json:"answer_p50_ms"`
	AnswerP99ms float64        `json:"answer_p99_ms"`
	Replicas    []replicaStats `json:"replicas"`
	// Fault names the fault injected a third of the way in, if any, and
	// FaultNote what it did.
	Fault     string  `json:"fault,omitempty"`
	FaultAtS  float64 `json:"fault_at_s,omitempty"`
	FaultNote string  `json:"fault_note,omitempty"`
}

// replicaStats is one lore serve process's use of the machine during the
// load.
type replicaStats struct {
	CPUSeconds float64 `json:"cpu_s"`
	CPUPercent float64 `json:"cpu_percent"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
}

// Ceilings of lore bench serve's sizes; docs/benchmarks.md measured 3
// replicas at 200 events/s for 60 s.
const (
	// maxServeRate is five times the rate measured, on a two-core machine
	// that ran the load, the fake Slack, PostgreSQL and the replicas;
	// every event sent is remembered until the end.
	maxServeRate = 1000
	// maxServeSeconds is an hour: at maxServeRate, 3.6 million events to
	// remember and check.
	maxServeSeconds = 3600
	// maxServeReplicas bounds the lore serve processes started on this
	// machine, each with its own memory (about 50 MB measured) and pool
	// of database connections.
	maxServeReplicas = 16
)

// benchSigningSecret signs the bench's events; the replicas are told it.
const benchSigningSecret = "lore-bench-signing-secret"

func (a *app) benchServeCommand() *cobra.Command {
	var rate, seconds, replicas int
	var asJSON bool
	var exe, fault string
	cmd := &cobra.Command{
		Use:   "serve [--rate 200] [--seconds 60] [--replicas 3]",
		Short: "Load-test lore serve replicas with signed Slack events on loopback",
		Long: `Start --replicas 'lore serve' processes on the database (--db; PostgreSQL for
several replicas), in Slack HTTP mode against a fake Slack Web API on
loopback, load the sample handbook, and send signed app_mention events at
--rate per second for --seconds, spread over the replicas as a load balancer
would. A request that fails or is not acknowledged is retried as Slack does.
Prints the acknowledgement and answer latencies, how many events were
answered, answered twice or lost, and each replica's CPU and peak memory.
Answers come from the offline path.

--fault injects one fault a third of the way in: kill-replica (SIGKILL replica
1), postgres-restart (the replicas' database connections are cut and refused
for 5 s; needs PostgreSQL), slack-errors (the Web API answers 429 for 5 s, then
500 for 5 s), model-hang (a model endpoint that never answers, with a 2 s
answer timeout). Deliveries that fail or are refused are retried as Slack
does, compressed in time: at once, after 5 s and after 15 s.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rate <= 0 || seconds <= 0 || replicas <= 0 {
				return usageErrorf("--rate, --seconds and --replicas must be positive")
			}
			if err := cmp.Or(overLimit("rate", rate, maxServeRate), overLimit("seconds", seconds, maxServeSeconds),
				overLimit("replicas", replicas, maxServeReplicas)); err != nil {
				return err
			}
			if !validFault(fault) {
				return usageErrorf("--fault %q: want one of %s", fault, faultList())
			}
			if fault == faultKillReplica && replicas < 2 {
				return usageErrorf("--fault %s needs at least 2 replicas", fault)
			}
			if exe == "" {
				var err error
				if exe, err = os.Executable(); err != nil {
					return err
				}
			}
			res, err := a.runServeBench(cmd.Context(), exe, rate, seconds, replicas, fault)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.io.Out, "events      %d in %.0f s (%d/s) over %d replicas\nanswered    %d, duplicates %d, lost %d, errors %d\nack         p50 %.1f ms, p99 %.1f ms\nanswer      p50 %.1f ms, p99 %.1f ms\n",
				res.Events, res.Seconds, res.Rate, len(res.Replicas), res.Answered, res.Duplicates, res.Lost, res.Errors,
				res.AckP50ms, res.AckP99ms, res.AnswerP50ms, res.AnswerP99ms)
			for i, r := range res.Replicas {
				fmt.Fprintf(a.io.Out, "replica %d   CPU %.1f s (%.0f%% of a core), peak RSS %.0f MB\n", i+1, r.CPUSeconds, r.CPUPercent, r.PeakRSSMB)
			}
			if res.Fault != "" {
				fmt.Fprintf(a.io.Out, "fault       %s at %.0f s: %s\n", res.Fault, res.FaultAtS, res.FaultNote)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&rate, "rate", 200, "events per second")
	cmd.Flags().IntVar(&seconds, "seconds", 60, "length of the load")
	cmd.Flags().IntVar(&replicas, "replicas", 3, "lore serve processes")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	cmd.Flags().StringVar(&fault, "fault", "", "inject a fault: "+faultList())
	cmd.Flags().StringVar(&exe, "exe", "", "lore binary to start as replicas (default: this one)")
	_ = cmd.Flags().MarkHidden("exe")
	return cmd
}

// replica is one lore serve child process.
type replica struct {
	cmd   *exec.Cmd
	base  string
	start time.Time
	cpu0  float64
	// logMu guards log, which the goroutine reading the replica's stderr
	// writes until the process exits, while the report reads it.
	logMu sync.Mutex
	log   bytes.Buffer
}

// logText is what the replica has logged so far.
func (r *replica) logText() string {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.log.String()
}

var replicaListenRE = regexp.MustCompile(`on (http://[0-9.:]+) `)

func (a *app) runServeBench(ctx context.Context, exe string, rate, seconds, n int, fault string) (serveBenchResult, error) {
	res := serveBenchResult{Rate: rate, Fault: fault}
	dbURL := a.databaseURL()
	// Load the handbook (and migrate) here, once, before the replicas start.
	svc, err := a.open(ctx)
	if err != nil {
		return res, err
	}
	stats, err := svc.store.Stats(ctx)
	if err == nil && stats.Documents == 0 {
		docs, _ := fs.Sub(handbook.Docs, "docs")
		_, err = svc.knowledge.IngestFS(ctx, docs, "handbook", "handbook")
	}
	svc.Close()
	if err != nil {
		return res, fmt.Errorf("load the sample handbook: %w", err)
	}
	fake := slackfake.New()
	defer fake.Close()
	env := append(os.Environ(),
		"LORE_SLACK_MODE=http", "LORE_SLACK_BOT_TOKEN=xoxb-bench", "LORE_SLACK_SIGNING_SECRET="+benchSigningSecret,
		"LORE_SLACK_API_URL="+fake.URL(), "LORE_LOG_LEVEL=warn", "LORE_DISCORD_TOKEN=")
	rig := &faultRig{name: fault}
	defer rig.close()
	replicaDB, env, err := rig.prepare(dbURL, env)
	if err != nil {
		return res, err
	}
	reps := make([]*replica, 0, n)
	defer func() {
		for _, r := range reps {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
	}()
	for range n {
		r, err := startReplica(ctx, exe, replicaDB, env)
		if err != nil {
			return res, err
		}
		reps = append(reps, r)
	}
	fmt.Fprintf(a.io.Err, "lore bench serve: %d replicas ready; sending %d events/s for %d s\n", n, rate, seconds)

	var injected sync.WaitGroup
	if fault != faultNone {
		at := time.Duration(seconds) * time.Second / 3
		res.FaultAtS = at.Seconds()
		injected.Go(func() {
			select {
			case <-ctx.Done():
			case <-time.After(at):
				rig.inject(ctx, reps, fake)
			}
		})
	}
	sent := runLoad(ctx, reps, rate, time.Duration(seconds)*time.Second)
	injected.Wait()
	res.FaultNote = rig.note
	res.Events = len(sent)
	res.Seconds = float64(seconds)

	// Wait for the answers still in flight.
	want := map[string]time.Time{}
	var acks []time.Duration
	for _, s := range sent {
		want[s.ts] = s.at
		if s.acked {
			acks = append(acks, s.ack)
		} else {
			res.Errors++
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && len(answeredThreads(fake, want)) < len(want) {
		time.Sleep(200 * time.Millisecond)
	}
	for i, r := range reps {
		st, err := r.stats()
		if err != nil {
			fmt.Fprintf(a.io.Err, "replica %d: %v\n", i+1, err)
		}
		res.Replicas = append(res.Replicas, st)
	}
	posts := answeredThreads(fake, want)
	var answerLat []time.Duration
	for ts, times := range posts {
		res.Answered++
		res.Duplicates += len(times) - 1
		answerLat = append(answerLat, times[0].Sub(want[ts]))
	}
	res.Lost = len(want) - res.Answered
	if res.Lost > 0 {
		// Named, so that the replicas' logs can tell what became of them.
		var lost []string
		for _, s := range sent {
			if _, ok := posts[s.ts]; !ok {
				lost = append(lost, s.id)
			}
		}
		fmt.Fprintf(a.io.Err, "lore bench serve: not answered within 60 s: %s\n", strings.Join(lost, ", "))
	}
	res.AckP50ms, res.AckP99ms = ms(eval.Percentile(acks, 50)), ms(eval.Percentile(acks, 99))
	res.AnswerP50ms, res.AnswerP99ms = ms(eval.Percentile(answerLat, 50)), ms(eval.Percentile(answerLat, 99))
	for i, r := range reps {
		if dir := os.Getenv("LORE_BENCH_LOGS"); dir != "" {
			// Each replica's whole log, for diagnosing a run.
			_ = os.WriteFile(fmt.Sprintf("%s/replica-%d.log", dir, i+1), []byte(r.logText()), 0o644)
		}
		if res.Lost > 0 || res.Errors > 0 {
			if tail := lastLines(r.logText(), 5); tail != "" {
				fmt.Fprintf(a.io.Err, "replica %d log (last lines):\n%s\n", i+1, tail)
			}
		}
	}
	return res, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// startReplica starts lore serve on a free port and waits until it is
// ready.
func startReplica(ctx context.Context, exe, dbURL string, env []string) (*replica, error) {
	r := &replica{}
	r.cmd = exec.CommandContext(ctx, exe, "serve", "--listen=127.0.0.1:0", "--db="+dbURL)
	r.cmd.Env = env
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start a replica: %w", err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			r.logMu.Lock()
			r.log.WriteString(line + "\n")
			r.logMu.Unlock()
			if m := replicaListenRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case r.base = <-found:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		return nil, fmt.Errorf("a replica did not start within 30 s:\n%s", r.logText())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("replica at %s not ready within 30 s", r.base)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.start = time.Now()
	r.cpu0, _ = processCPUSeconds(r.cmd.Process.Pid)
	return r, nil
}

// stats reads the replica's CPU time since it became ready and its peak
// resident memory from /proc.
func (r *replica) stats() (replicaStats, error) {
	var st replicaStats
	cpu, err := processCPUSeconds(r.cmd.Process.Pid)
	if err != nil {
		return st, err
	}
	st.CPUSeconds = cpu - r.cpu0
	st.CPUPercent = 100 * st.CPUSeconds / time.Since(r.start).Seconds()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.cmd.Process.Pid))
	if err != nil {
		return st, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			st.PeakRSSMB = float64(kb) / 1024
		}
	}
	return st, nil
}

// processCPUSeconds is a process's user plus system CPU time.
func processCPUSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14 and stime 15.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	const ticks = 100 // USER_HZ on Linux
	return (ut + stime) / ticks, nil
}

// sentEvent is one event of the load and what became of its delivery.
type sentEvent struct {
	id    string // the event id, which the replicas' logs name
	ts    string // the message ts, which the answer's thread_ts repeats
	at    time.Time
	ack   time.Duration // first attempt's acknowledgement time
	acked bool          // some attempt got a 200
}

// slackRetryDelays are the waits before each redelivery of an event that
// was not acknowledged. Slack's are none, 1 min and 5 min; the bench keeps
// their shape in a shorter time.
var slackRetryDelays = []time.Duration{0, 5 * time.Second, 15 * time.Second}

// runLoad sends events at rate for d, round-robin over the replicas, each
// request with Slack's 3-second acknowledgement timeout.
func runLoad(ctx context.Context, reps []*replica, rate int, d time.Duration) []sentEvent {
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	total := int(float64(rate) * d.Seconds())
	out := make([]sentEvent, total)
	questions, _ := handbook.Questions()
	var wg sync.WaitGroup
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	// Event ids and message timestamps are new in every run: the database
	// remembers an hour of event ids, and would drop a second run's events
	// as redeliveries of the first's.
	run := start.Unix()
	for i := range total {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-ctx.Done():
				return out[:i]
			case <-time.After(wait):
			}
		}
		q := "how do I request annual leave?"
		if len(questions) > 0 {
			q = questions[i%len(questions)].Question
		}
		ts := fmt.Sprintf("%d.%06d", run, i)
		id := fmt.Sprintf("EvBench%d%07d", run, i)
		body := slackfake.MentionEvent(id, fmt.Sprintf("CBENCH%02d", i%50), fmt.Sprintf("UBENCH%04d", i%1000), q, ts)
		out[i] = sentEvent{id: id, ts: ts, at: time.Now()}
		wg.Go(func() {
			for attempt := range len(slackRetryDelays) + 1 {
				if attempt > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(slackRetryDelays[attempt-1]):
					}
				}
				r := reps[(i+attempt)%len(reps)]
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/slack/events", bytes.NewReader(body))
				req.Header = slackfake.Sign(benchSigningSecret, body, time.Now())
				req.Header.Set("Content-Type", "application/json")
				if attempt > 0 {
					req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(attempt))
					req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if attempt == 0 {
					out[i].ack = time.Since(t0)
				}
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						out[i].acked = true
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return out
}

// answeredThreads maps each awaited event's ts to the times answers were
// posted in its thread.
func answeredThreads(fake *slackfake.Server, want map[string]time.Time) map[string][]time.Time {
	out := map[string][]time.Time{}
	for _, c := range fake.Calls("chat.postMessage") {
		ts := c.Arg("thread_ts")
		if _, ok := want[ts]; ok {
			out[ts] = append(out[ts], c.At)
		}
	}
	for ts := range out {
		slices.SortFunc(out[ts], func(a, b time.Time) int { return a.Compare(b) })
	}
	return out
}
