package queue_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/store/queue"
)

// chatArgs stands for a job that sends a chat message: it goes to the chat
// queue and is unique by its arguments, as the real ones are.
type chatArgs struct {
	Seq int `json:"seq" river:"unique"`
}

func (chatArgs) Kind() string { return "lore_test_chat" }

func (chatArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queue.ChatQueue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// plainArgs stands for every other job: the default queue.
type plainArgs struct {
	Seq int `json:"seq"`
}

func (plainArgs) Kind() string { return "lore_test_plain" }

// workLog records which replica worked each job.
type workLog struct {
	mu  sync.Mutex
	by  map[int64][]string
	all int
}

func (l *workLog) add(id int64, replica string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.by == nil {
		l.by = map[int64][]string{}
	}
	l.by[id] = append(l.by[id], replica)
	l.all++
}

func (l *workLog) of(id int64) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.by[id]...)
}

type chatWorker struct {
	river.WorkerDefaults[chatArgs]
	replica string
	log     *workLog
}

func (w *chatWorker) Work(_ context.Context, job *river.Job[chatArgs]) error {
	w.log.add(job.ID, w.replica)
	return nil
}

type plainWorker struct {
	river.WorkerDefaults[plainArgs]
	replica string
	log     *workLog
}

func (w *plainWorker) Work(_ context.Context, job *river.Job[plainArgs]) error {
	w.log.add(job.ID, w.replica)
	return nil
}

// replicaWorkers registers both kinds, as lore serve registers every
// worker whatever queues it works.
func replicaWorkers(replica string, log *workLog) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &chatWorker{replica: replica, log: log})
	river.AddWorker(w, &plainWorker{replica: replica, log: log})
	return w
}

// newReplica makes a client that works the given queues, on either
// database.
type newReplica func(t *testing.T, cfg queue.Config) queue.Client

func TestChatJobsAreWorkedOnlyByChatReplicasOnPostgres(t *testing.T) {
	admin := openPool(t, "lore-queue-test", 4)
	schema := newSchema(t, admin)
	if err := queue.Migrate(t.Context(), admin, schema); err != nil {
		t.Fatal(err)
	}
	testChatQueue(t, func(t *testing.T, cfg queue.Config) queue.Client {
		cfg.Schema = schema
		c, err := queue.New(openPool(t, "lore-queue-replica", 8), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func TestChatJobsAreWorkedOnlyByChatReplicasOnSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lore.db")
	migrated := false
	testChatQueue(t, func(t *testing.T, cfg queue.Config) queue.Client {
		db, err := queue.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if !migrated {
			if err := queue.MigrateSQLite(t.Context(), db); err != nil {
				t.Fatal(err)
			}
			migrated = true
		}
		c, err := queue.NewSQLite(db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

// testChatQueue runs a replica without chat (DefaultQueue only) and chat
// replicas (both queues, the chat queue added once started as lore serve
// does, or configured from the start) on one database, and checks that
// every chat job is worked by a chat replica and that the other never
// fetches one.
func testChatQueue(t *testing.T, open newReplica) {
	log := &workLog{}
	// start starts a replica that works the default queue, and the chat
	// queue from the start (chat) or added once started (addChat).
	start := func(name string, chat, addChat bool) queue.Client {
		c := open(t, queue.Config{
			Workers: replicaWorkers(name, log), Queues: queue.Queues(4, chat), Logger: testLogger(t), ID: name,
			FetchCooldown: 20 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond,
		})
		if err := c.Start(context.WithoutCancel(t.Context())); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		if addChat {
			// As lore serve does once its chat adapters are started.
			if err := c.Queues().Add(queue.ChatQueue, river.QueueConfig{MaxWorkers: 4}); err != nil {
				t.Fatalf("%s: add the chat queue: %v", name, err)
			}
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = c.StopAndCancel(ctx)
		})
		return c
	}
	insert := func(c queue.Client, args river.JobArgs) *rivertype.JobInsertResult {
		t.Helper()
		res, err := c.Insert(t.Context(), args, nil)
		if err != nil {
			t.Fatalf("insert %s: %v", args.Kind(), err)
		}
		return res
	}
	waitState := func(c queue.Client, id int64, want rivertype.JobState) *rivertype.JobRow {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			job, err := c.JobGet(t.Context(), id)
			if err != nil {
				t.Fatalf("get job %d: %v", id, err)
			}
			if job.State == want {
				return job
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d (%s) is %s, not %s within 30 s", id, job.Kind, job.State, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	workers := start("workers-only", false, false)

	// Chat jobs first, then a default one: River fetches in order, so a
	// replica that looked in the chat queue would fetch the chat jobs no
	// later than the default job it completes.
	var chatIDs []int64
	for i := range 5 {
		res := insert(workers, chatArgs{Seq: i})
		if res.Job.Queue != queue.ChatQueue {
			t.Fatalf("chat job inserted into queue %q", res.Job.Queue)
		}
		chatIDs = append(chatIDs, res.Job.ID)
	}
	plain := insert(workers, plainArgs{Seq: 0})
	if plain.Job.Queue != queue.DefaultQueue {
		t.Fatalf("plain job inserted into queue %q", plain.Job.Queue)
	}
	waitState(workers, plain.Job.ID, rivertype.JobStateCompleted)
	if by := log.of(plain.Job.ID); len(by) != 1 || by[0] != "workers-only" {
		t.Fatalf("the default job was worked by %v", by)
	}
	for _, id := range chatIDs {
		job, err := workers.JobGet(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if job.State != rivertype.JobStateAvailable || job.Attempt != 0 || len(job.AttemptedBy) != 0 || len(log.of(id)) != 0 {
			t.Fatalf("chat job %d was touched by the replica without chat: state %s, attempt %d, by %v",
				id, job.State, job.Attempt, job.AttemptedBy)
		}
	}

	// Uniqueness holds across queues: the same chat job is not queued
	// again, and a unique job still waiting in the default queue (queued
	// before chat jobs had a queue of their own) blocks its duplicate.
	if res := insert(workers, chatArgs{Seq: 0}); !res.UniqueSkippedAsDuplicate {
		t.Fatalf("a chat job was queued twice: %d and %d", chatIDs[0], res.Job.ID)
	}
	old, err := workers.Insert(t.Context(), chatArgs{Seq: 100}, &river.InsertOpts{Queue: queue.DefaultQueue})
	if err != nil {
		t.Fatal(err)
	}
	if res := insert(workers, chatArgs{Seq: 100}); !res.UniqueSkippedAsDuplicate || res.Job.ID != old.Job.ID {
		t.Fatalf("a job in the default queue did not block its duplicate in the chat queue: %+v", res.Job)
	}

	chat := start("chat", false, true)
	for _, id := range chatIDs {
		waitState(chat, id, rivertype.JobStateCompleted)
		if by := log.of(id); len(by) != 1 || by[0] != "chat" {
			t.Errorf("chat job %d was worked by %v, want the chat replica once", id, by)
		}
	}
	// The leftover in the default queue is worked too, by whichever
	// replica fetches it.
	waitState(chat, old.Job.ID, rivertype.JobStateCompleted)

	// With a second chat replica, which works the chat queue from the
	// start, a mix of jobs: every chat job goes to a chat replica.
	start("chat-2", true, false)
	var more []int64
	for i := range 20 {
		res := insert(chat, chatArgs{Seq: 1000 + i})
		more = append(more, res.Job.ID)
		insert(workers, plainArgs{Seq: 1000 + i})
	}
	for _, id := range more {
		waitState(chat, id, rivertype.JobStateCompleted)
		if by := log.of(id); len(by) != 1 || by[0] == "workers-only" {
			t.Errorf("chat job %d was worked by %v, want a chat replica once", id, by)
		}
	}
}
