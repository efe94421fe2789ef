package cli

import (
	"context"
	"fmt"
	"os"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/riverqueue/river"

	"github.com/lorehq/lore/adapters/lrs"
	"github.com/lorehq/lore/bot/engagement"
	engjobs "github.com/lorehq/lore/bot/engagement/jobs"
	"github.com/lorehq/lore/store"
)

// engagementJobs registers the engagement jobs lore serve runs: LRS
// forwarding when LORE_LRS_ENDPOINT is set, leaders' weekly digests when
// LORE_LEADERS_FILE is, and retention when LORE_RETENTION is. The digest
// job queues each leader's digest through the returned inserter, which
// serve points at the River client once it exists.
func (a *app) engagementJobs(svc *services, workers *river.Workers) ([]*river.PeriodicJob, *engjobs.LateInserter, error) {
	cfg := engjobs.Config{Logger: a.log}
	late := &engjobs.LateInserter{}
	if file := a.getenv(envLeadersFile); file != "" {
		leaders, err := loadLeaders(file)
		if err != nil {
			return nil, nil, err
		}
		k, err := a.privacyK()
		if err != nil {
			return nil, nil, err
		}
		cfg.Digester = &engagement.Digester{
			Source: svc.store, Sender: svc.digests, Leaders: leaders, Log: a.log,
			Options: engagement.Options{K: k, SuggestOwner: ownerSuggester(svc)},
		}
		cfg.Queue = late
	}
	if endpoint := a.getenv("LORE_LRS_ENDPOINT"); endpoint != "" {
		outbox, ok := svc.store.(lrs.Outbox)
		if !ok {
			return nil, nil, fmt.Errorf("LRS forwarding: the %T store keeps no statement outbox", svc.store)
		}
		f, err := lrs.New(lrs.Config{
			Endpoint: endpoint, Username: a.getenv("LORE_LRS_USERNAME"),
			Password: lrs.Secret(a.getenv("LORE_LRS_PASSWORD")), Logger: a.log,
		}, outbox)
		if err != nil {
			return nil, nil, &exitError{code: ExitUsage, err: err}
		}
		cfg.Forwarder = f
	}
	if keep := a.getenv("LORE_RETENTION"); keep != "" {
		d, err := retentionPeriod(keep)
		if err != nil {
			return nil, nil, usageErrorf("LORE_RETENTION %q: %v", keep, err)
		}
		compactor, ok := svc.store.(store.Engagement)
		if !ok {
			return nil, nil, fmt.Errorf("retention: the %T store cannot compact events", svc.store)
		}
		cfg.Retention, cfg.Keep = compactor, d
	}
	periodic, err := engjobs.Register(workers, cfg)
	if err != nil {
		return nil, nil, &exitError{code: ExitUsage, err: err}
	}
	return periodic, late, nil
}

// envLeadersFile names the file of leaders who get the weekly digest.
const envLeadersFile = "LORE_LEADERS_FILE"

// loadLeaders reads a leaders file: a JSON or YAML list of
// engagement.Leader, checked whole so that every mistake is reported at
// once.
func loadLeaders(file string) ([]engagement.Leader, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, usageErrorf("leaders file %w", fileError(err))
	}
	var leaders []engagement.Leader
	// YAML is a superset of JSON: one parser reads both.
	if err := yaml.Unmarshal(data, &leaders); err != nil {
		return nil, usageErrorf("leaders file %s: not a list of leaders: %v", file, err)
	}
	if len(leaders) == 0 {
		return nil, usageErrorf("leaders file %s lists no leaders", file)
	}
	if err := engagement.ValidateLeaders(leaders); err != nil {
		return nil, usageErrorf("leaders file %s:\n%v", file, err)
	}
	return leaders, nil
}

// digestRouter sends each digest through the running chat adapter of its
// destination's platform; lore serve adds the adapters as they start.
type digestRouter struct {
	mu      sync.Mutex
	senders map[string]engagement.Sender
}

var _ engagement.Sender = (*digestRouter)(nil)

func (r *digestRouter) add(platform string, s engagement.Sender) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.senders == nil {
		r.senders = map[string]engagement.Sender{}
	}
	r.senders[platform] = s
}

// SendDigest implements engagement.Sender.
func (r *digestRouter) SendDigest(ctx context.Context, to engagement.Destination, m engagement.Message) error {
	r.mu.Lock()
	s := r.senders[to.Platform]
	r.mu.Unlock()
	if s == nil {
		return fmt.Errorf("no %s adapter is running to send the digest", to.Platform)
	}
	return s.SendDigest(ctx, to, m)
}
