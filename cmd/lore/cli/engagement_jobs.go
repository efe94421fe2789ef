package cli

import (
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/lorehq/lore/adapters/lrs"
	engjobs "github.com/lorehq/lore/bot/engagement/jobs"
	"github.com/lorehq/lore/store"
)

// engagementJobs registers the engagement jobs lore serve runs: LRS
// forwarding when LORE_LRS_ENDPOINT is set, and retention when
// LORE_RETENTION is.
func (a *app) engagementJobs(svc *services, workers *river.Workers) ([]*river.PeriodicJob, error) {
	cfg := engjobs.Config{Logger: a.log}
	if endpoint := a.getenv("LORE_LRS_ENDPOINT"); endpoint != "" {
		outbox, ok := svc.store.(lrs.Outbox)
		if !ok {
			return nil, fmt.Errorf("LRS forwarding: the %T store keeps no statement outbox", svc.store)
		}
		f, err := lrs.New(lrs.Config{
			Endpoint: endpoint, Username: a.getenv("LORE_LRS_USERNAME"),
			Password: lrs.Secret(a.getenv("LORE_LRS_PASSWORD")), Logger: a.log,
		}, outbox)
		if err != nil {
			return nil, &exitError{code: ExitUsage, err: err}
		}
		cfg.Forwarder = f
	}
	if keep := a.getenv("LORE_RETENTION"); keep != "" {
		d, err := time.ParseDuration(keep)
		if err != nil {
			return nil, usageErrorf("LORE_RETENTION %q: %v", keep, err)
		}
		compactor, ok := svc.store.(store.Engagement)
		if !ok {
			return nil, fmt.Errorf("retention: the %T store cannot compact events", svc.store)
		}
		cfg.Retention, cfg.Keep = compactor, d
	}
	periodic, err := engjobs.Register(workers, cfg)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	return periodic, nil
}
