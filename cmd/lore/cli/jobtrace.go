package cli

import (
	"context"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/bot/trace"
)

// jobRequestIDs gives each job's context the request id "job-ID", so that
// what a job logs, down to the store's slow statements, can be told from
// other work and matched with River's own tables.
type jobRequestIDs struct{ river.MiddlewareDefaults }

func (jobRequestIDs) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	return doInner(trace.WithRequestID(ctx, "job-"+strconv.FormatInt(job.ID, 10)))
}
