package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	engjobs "github.com/lorehq/lore/bot/engagement/jobs"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/knowledge/review"
	"github.com/lorehq/lore/nudges"
	"github.com/lorehq/lore/store/queue"
)

// chatJobs are the job kinds that send chat messages. Each names
// queue.ChatQueue in its InsertOpts; the list is for jobs of these kinds
// queued in the default queue before they had a queue of their own.
var chatJobs = []interface {
	river.JobArgs
	river.JobArgsWithInsertOpts
}{
	nudges.DeliverArgs{}, engjobs.DigestSendArgs{}, review.RemindArgs{}, peers.TickArgs{},
}

// leftoverChatSnooze is how long a replica without chat adapters puts back
// a chat job it fetched from the default queue: long enough for a replica
// with chat adapters to fetch it meanwhile.
const leftoverChatSnooze = time.Minute

// leaveChatJobs is the middleware of replicas without chat adapters
// (lore serve --workers-only). Such a replica works the default queue
// only, so it never fetches a chat job queued by this version; a chat job
// left in the default queue by an earlier version is snoozed, which uses
// no attempt, instead of failing its send here, until a replica with chat
// adapters fetches it.
type leaveChatJobs struct {
	river.MiddlewareDefaults
	kinds map[string]bool
	log   *slog.Logger
}

func newLeaveChatJobs(log *slog.Logger) *leaveChatJobs {
	kinds := map[string]bool{}
	for _, a := range chatJobs {
		kinds[a.Kind()] = true
	}
	return &leaveChatJobs{kinds: kinds, log: log}
}

func (m *leaveChatJobs) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if job.Queue != queue.ChatQueue && m.kinds[job.Kind] {
		m.log.InfoContext(ctx, "a chat job from the default queue is left to a replica with chat adapters",
			"job", job.ID, "kind", job.Kind, "retry_in", leftoverChatSnooze)
		return river.JobSnooze(leftoverChatSnooze)
	}
	return doInner(ctx)
}
