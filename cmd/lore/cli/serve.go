package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/spf13/cobra"

	"github.com/lorehq/lore/adapters/web"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/knowledge/jobs"
	"github.com/lorehq/lore/knowledge/review"
	"github.com/lorehq/lore/nudges"
	"github.com/lorehq/lore/store/queue"
)

// Shutdown bounds: how long answers and jobs in flight may take to finish
// once Lore is asked to stop, before they are cancelled (a cancelled job is
// made available again for another replica). Each counts from the signal:
// jobs finish while HTTP requests and the chat adapters' answers do, so
// that lore serve exits within jobShutdownTimeout plus the few seconds a
// cancellation takes, inside a 45 s grace period.
var (
	httpShutdownTimeout = 10 * time.Second
	jobShutdownTimeout  = 30 * time.Second
)

type serveOptions struct {
	listen      string
	workersOnly bool
	maxWorkers  int
	syncs       []string
	syncEvery   time.Duration
}

func (a *app) serveCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run Lore: chat adapters, background job workers and health endpoints",
		Long: `Run a Lore replica. It works background jobs (ingests queued with
'lore ingest --queue', periodic source re-syncs) from the queue in the
database, serves /healthz and /readyz over HTTP, and connects the chat
adapters that are configured. Several replicas on one PostgreSQL database
share the jobs: each is worked by exactly one replica, and each periodic job
runs once per period between them all.

--workers-only runs a replica without chat adapters: it works every job
but those that send chat messages (nudges, digests, review reminders,
pairing rounds), which are queued in the "chat" queue for the replicas
that have chat adapters.
--sync PATH[=COLLECTION] re-syncs a folder into a collection every
--sync-every (with pruning), and once at start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("listen") {
				o.listen = a.getenv("LORE_LISTEN")
			} else if err := checkListenFlag(o.listen); err != nil {
				return err
			}
			return a.serve(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8080", "address for the HTTP endpoints (/healthz, /readyz, /metrics); default $LORE_LISTEN")
	cmd.Flags().BoolVar(&o.workersOnly, "workers-only", false, "connect no chat adapter; work the jobs that send no chat message")
	cmd.Flags().IntVar(&o.maxWorkers, "max-workers", queue.DefaultMaxWorkers, "jobs of each queue (default, chat) this replica works at once")
	cmd.Flags().StringArrayVar(&o.syncs, "sync", nil, "re-sync this folder periodically, as PATH or PATH=COLLECTION (repeatable)")
	intervalVar(cmd.Flags(), &o.syncEvery, "sync-every", time.Hour, "interval of the --sync re-syncs, such as 30m, 1h or 7d")
	return cmd
}

func (a *app) serve(ctx context.Context, o serveOptions) error {
	if o.maxWorkers <= 0 {
		return usageErrorf("--max-workers must be positive")
	}
	var sources []jobs.Source
	for _, s := range o.syncs {
		path, collection, _ := strings.Cut(s, "=")
		if path == "" {
			return usageErrorf("--sync %q: want PATH or PATH=COLLECTION", s)
		}
		sources = append(sources, jobs.Source{Path: path, Collection: collection})
	}
	periodic, err := jobs.PeriodicSync(sources, o.syncEvery)
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	// Chat settings lore serve would refuse are refused before the
	// database is opened and the job queue started.
	if !o.workersOnly {
		if err := a.chatSettingsErrors(); err != nil {
			return &exitError{code: ExitUsage, err: err}
		}
	}
	// The address is taken first: a replica that cannot serve its
	// endpoints (the port is in use) stops before it works any job or
	// connects any chat adapter.
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return &exitError{code: ExitUsage, err: fmt.Errorf("listen on %s: %w", o.listen, err)}
	}
	defer ln.Close()

	a.log = a.serviceLogger()
	a.metrics = web.NewMetrics()
	svc, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()

	id := replicaID()
	workers := river.NewWorkers()
	if err := jobs.Register(workers, &jobs.IngestWorker{Knowledge: svc.knowledge, Logger: a.log, Owner: id}); err != nil {
		return err
	}
	if err := jobs.RegisterReindex(workers, &jobs.ReindexWorker{Knowledge: svc.knowledge, Logger: a.log, Owner: id}); err != nil {
		return err
	}
	if periodic, err = a.wireSourceSyncs(svc, workers, periodic, id); err != nil {
		return err
	}
	if svc.peers != nil {
		if err := peers.Register(workers, svc.peers); err != nil {
			return err
		}
		tick, err := peers.PeriodicJobs(peers.DefaultTickEvery)
		if err != nil {
			return err
		}
		periodic = append(periodic, tick...)
	}
	var planner *nudges.PlanWorker
	if svc.nudges != nil {
		planner = &nudges.PlanWorker{Service: svc.nudges}
		if err := nudges.Register(workers, planner, &nudges.DeliverWorker{Service: svc.nudges}); err != nil {
			return err
		}
		plan, err := nudges.PeriodicJobs(0)
		if err != nil {
			return err
		}
		periodic = append(periodic, plan...)
	}
	reviews, err := a.reviewService(svc)
	if err != nil {
		return err
	}
	reminders, err := review.Register(workers, reviews)
	if err != nil {
		return err
	}
	periodic = append(periodic, reminders...)
	engagementJobs, digestQueue, err := a.engagementJobs(svc, workers)
	if err != nil {
		return err
	}
	periodic = append(periodic, engagementJobs...)
	// Jobs that send chat messages are in the chat queue, which this
	// replica works once its chat adapters are started (below); a replica
	// without chat adapters leaves them to the replicas that have some.
	middleware := []rivertype.Middleware{&jobRequestIDs{}}
	if o.workersOnly {
		middleware = append(middleware, newLeaveChatJobs(a.log))
	}
	q, err := a.openQueue(ctx, svc.store, queue.Config{
		Workers:      workers,
		Queues:       queue.Queues(o.maxWorkers, false),
		PeriodicJobs: periodic,
		ID:           id,
		Middleware:   middleware,
		// Ingest jobs run up to two hours; a job still marked running
		// after that belongs to a dead replica.
		RescueStuckJobsAfter: 3 * time.Hour,
	})
	if err != nil {
		return err
	}
	defer q.close()
	digestQueue.Set(q.Client)
	svc.syncs.set(q.Client)
	if planner != nil {
		planner.Queue = q.Client
	}
	// The queue's context is not ctx: on a signal, jobs in flight are given
	// jobShutdownTimeout to finish rather than being cut at once.
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		return queueStartError(err)
	}
	// A changed embedding model calls for a reindex; queued once, however
	// many replicas start with the new setting.
	if need, sp, err := svc.knowledge.NeedsReindex(ctx); err != nil {
		a.log.WarnContext(ctx, "could not tell whether a reindex is needed", "err", err)
	} else if need {
		if res, err := q.Insert(ctx, jobs.ReindexArgs{}, nil); err != nil {
			a.log.ErrorContext(ctx, "queueing the reindex failed", "err", err)
		} else {
			a.log.InfoContext(ctx, "the stored vectors come from another embedder; reindex queued",
				"job", res.Job.ID, "stored", sp.Embedder, "dimensions", sp.Dimensions)
		}
	}
	var queueRunning atomic.Bool
	queueRunning.Store(true)

	health := web.NewHealth(0)
	health.Add("store", svc.store.Ping)
	health.Add("queue", func(context.Context) error {
		if !queueRunning.Load() {
			return errors.New("job queue stopped")
		}
		return nil
	})
	mux := http.NewServeMux()
	health.Register(mux)
	// The dashboard needs a way to sign in; without one it stays off.
	if !o.workersOnly && (a.getenv(envDashboardToken) != "" || a.getenv(envOIDCIssuer) != "") {
		dash, err := a.dashboard(ctx, svc)
		if err != nil {
			stopQueue(q)
			return err
		}
		dash.Register(mux)
	}
	a.metrics.WatchQueue(q.depth, a.log)
	a.metrics.Register(mux)

	adapters := &chatAdapters{}
	if !o.workersOnly {
		adapters, err = a.startAdapters(ctx, svc, mux, health)
		if err != nil {
			stopQueue(q)
			return err
		}
		// Only now can a chat job's message be sent from here.
		if err := q.Queues().Add(queue.ChatQueue, river.QueueConfig{MaxWorkers: o.maxWorkers}); err != nil {
			adapters.stop()
			stopQueue(q)
			return fmt.Errorf("work the chat queue: %w", err)
		}
	}

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	role := "chat adapters and job workers (queues: default, chat)"
	connected := "no chat adapter is configured"
	if len(adapters.names) > 0 {
		connected = "chat: " + strings.Join(adapters.names, ", ")
	}
	if o.workersOnly {
		role, connected = "job workers only (queue: default)", "chat adapters are off"
	}
	fmt.Fprintf(a.io.Err, "lore: serving %s on http://%s (/healthz, /readyz, /metrics); %s; %d %s re-synced every %s; up to %d jobs of each queue at once\n",
		role, ln.Addr(), connected, len(sources), plural(len(sources), "folder", "folders"), every(o.syncEvery), o.maxWorkers)

	select {
	case <-ctx.Done():
	case err = <-served:
	}
	fmt.Fprintln(a.io.Err, "lore: stopping: finishing answers and jobs in flight")
	// The job queue stops fetching now, and its jobs in flight get their
	// bound from now, while requests and answers finish.
	queueRunning.Store(false)
	jobsStopped := make(chan struct{})
	go func() {
		defer close(jobsStopped)
		stopQueue(q)
	}()
	// No request is taken from here on (a Slack event not acknowledged is
	// delivered again, to another replica); those in flight finish, and
	// then the answers the adapters started for them.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownTimeout)
	_ = srv.Shutdown(shutdownCtx)
	cancel()
	adapters.stop()
	<-jobsStopped
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// stopQueue lets running jobs finish for jobShutdownTimeout, then cancels
// them so that another replica takes them over.
func stopQueue(q *jobQueue) {
	ctx, cancel := context.WithTimeout(context.Background(), jobShutdownTimeout)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		_ = q.StopAndCancel(cctx)
	}
}
