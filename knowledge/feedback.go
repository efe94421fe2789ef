package knowledge

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lorehq/lore/store"
)

// Feedback-shaped ranking: a document whose answers people found helpful
// ranks a little higher, one whose answers they did not a little lower.
// docs/retrieval.md states the formula and why it cannot hide an answer.
const (
	// FeedbackWindow is how far back votes count.
	FeedbackWindow = 90 * 24 * time.Hour
	// DefaultFeedbackRefresh is how often the per-document factors are
	// read again from the engagement log.
	DefaultFeedbackRefresh = 5 * time.Minute
	// feedbackBound is the most a factor moves a score either way: every
	// factor lies strictly within [1-feedbackBound, 1+feedbackBound].
	feedbackBound = 0.1
	// feedbackPrior is the strength of the Beta(prior, prior) belief that
	// a document is as helpful as not: a few votes barely move it.
	feedbackPrior = 5.0
)

// FeedbackFactor is the multiplier of a document's scores for up helpful
// and down unhelpful votes: 1 + 2·bound·(p − ½), where p = (up + a) / (up
// + down + 2a) is the Beta(a, a) posterior mean of the share of helpful
// votes (a = 5, bound = 0.1). It is exactly 1 without votes and stays
// strictly between 0.9 and 1.1.
func FeedbackFactor(up, down int) float64 {
	if up <= 0 && down <= 0 {
		return 1
	}
	p := (float64(max(up, 0)) + feedbackPrior) / (float64(max(up, 0)+max(down, 0)) + 2*feedbackPrior)
	return 1 + 2*feedbackBound*(p-0.5)
}

// DocumentVotes are the votes on the answers that cited a document.
type DocumentVotes struct {
	Helpful, Unhelpful int
}

// feedbackState is what the service holds in memory between refreshes.
type feedbackState struct {
	factors map[string]float64 // documents with votes only
	votes   map[string]DocumentVotes
	at      time.Time
}

// feedbackRanker keeps the factors fresh without reading the log on every
// search: a search that finds them older than the refresh period reads
// them once, while concurrent searches use the previous ones.
type feedbackRanker struct {
	source  store.Feedback // nil: no feedback ranking
	refresh time.Duration
	state   atomic.Pointer[feedbackState]
	mu      sync.Mutex // held by the one search that refreshes
}

// RefreshFeedback reads the votes of the last FeedbackWindow and replaces
// the factors searches use. Services over a store that keeps no engagement
// log have none to read.
func (s *Service) RefreshFeedback(ctx context.Context) error {
	if s.feedback.source == nil {
		return nil
	}
	now := s.now()
	rated, err := s.feedback.source.RatedAnswers(ctx, now.Add(-FeedbackWindow))
	if err != nil {
		return fmt.Errorf("read feedback: %w", err)
	}
	votes := map[string]DocumentVotes{}
	for _, r := range rated {
		for _, id := range r.Answer.DocIDs {
			v := votes[id]
			v.Helpful += r.Helpful
			v.Unhelpful += r.Unhelpful
			votes[id] = v
		}
	}
	factors := make(map[string]float64, len(votes))
	for id, v := range votes {
		if f := FeedbackFactor(v.Helpful, v.Unhelpful); f != 1 {
			factors[id] = f
		}
	}
	s.feedback.state.Store(&feedbackState{factors: factors, votes: votes, at: now})
	return nil
}

// FeedbackVotes returns the votes the ranking holds for a document, as of
// the last refresh.
func (s *Service) FeedbackVotes(docID string) DocumentVotes {
	if st := s.feedback.state.Load(); st != nil {
		return st.votes[docID]
	}
	return DocumentVotes{}
}

// feedbackFactors returns the current factors, refreshing them first when
// they are older than the refresh period and no other search is at it. A
// failed refresh keeps the old factors until the next period.
func (s *Service) feedbackFactors(ctx context.Context) map[string]float64 {
	fr := &s.feedback
	if fr.source == nil || fr.refresh < 0 {
		return nil
	}
	cur := fr.state.Load()
	if cur != nil && s.now().Sub(cur.at) < fr.refresh {
		return cur.factors
	}
	if !fr.mu.TryLock() {
		if cur == nil {
			return nil
		}
		return cur.factors
	}
	defer fr.mu.Unlock()
	if err := s.RefreshFeedback(ctx); err != nil {
		// Ranking without feedback is still ranking: wait a period
		// before asking the database again.
		st := &feedbackState{at: s.now()}
		if cur != nil {
			st.factors, st.votes = cur.factors, cur.votes
		}
		fr.state.Store(st)
	}
	if st := fr.state.Load(); st != nil {
		return st.factors
	}
	return nil
}
