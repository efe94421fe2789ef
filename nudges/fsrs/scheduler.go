package fsrs

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalidRating is returned, wrapped, when a review carries a rating other
// than Again, Hard, Good or Easy.
var ErrInvalidRating = errors.New("fsrs: invalid rating")

// ErrInvalidCard is returned, wrapped, when a card's state cannot be
// scheduled from: an unknown state, or a reviewed card whose stability or
// difficulty is out of range (a corrupted or hand-edited record).
var ErrInvalidCard = errors.New("fsrs: invalid card")

const day = 24 * time.Hour

// Scheduler schedules reviews with one set of parameters. It holds no
// mutable state, so one Scheduler can serve any number of goroutines.
type Scheduler struct {
	params Parameters
	// decay is −w20, the exponent of the forgetting curve.
	decay float64
	// factor is F in R(t, S) = (1 + F·t/S)^decay, chosen so that R(S, S) = 0.9.
	factor float64
	// intervalModifier is I(r, S)/S: the interval, in units of stability,
	// after which retrievability falls to the desired retention.
	intervalModifier float64
}

// New returns a Scheduler for p, or an error wrapping ErrInvalidParameters.
func New(p Parameters) (*Scheduler, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	decay := -p.Weights[20]
	// ts-fsrs rounds these to eight decimals; doing the same keeps intervals
	// identical to the reference when S·modifier lies close to a half day.
	factor := roundTo8(math.Pow(0.9, 1/decay) - 1)
	return &Scheduler{
		params:           p,
		decay:            decay,
		factor:           factor,
		intervalModifier: roundTo8((math.Pow(p.DesiredRetention, 1/decay) - 1) / factor),
	}, nil
}

// Parameters returns the parameters the scheduler was built with.
func (s *Scheduler) Parameters() Parameters { return s.params }

// Review returns card c as it is after a review rated r at time now. The
// card passed in is not changed. Times in the returned card are in UTC.
//
// A new card gets its initial stability and difficulty from the rating. A
// reviewed card's retrievability is computed from the whole UTC calendar
// days since its last review, so two reviews on the same day see R = 1: a
// successful second review leaves stability unchanged, and a lapse can only
// lower it, while difficulty still moves with the rating.
func (s *Scheduler) Review(c Card, r Rating, now time.Time) (Card, error) {
	if !r.Valid() {
		return c, fmt.Errorf("%w: %d", ErrInvalidRating, int(r))
	}
	now = now.UTC()
	next := c
	next.Reps++

	// All four outcomes are computed because the chosen rating's interval
	// depends on the others': intervals are forced to increase with the
	// rating.
	var outcomes [4]memory
	elapsed := 0
	switch c.State {
	case StateNew:
		for g := Again; g <= Easy; g++ {
			outcomes[g-1] = memory{
				stability:  s.initStability(g),
				difficulty: clampDifficulty(s.initDifficulty(g)),
			}
		}
	case StateLearning, StateReview, StateRelearning:
		if !(c.Stability >= minStability && c.Stability <= maxStability) ||
			!(c.Difficulty >= minDifficulty && c.Difficulty <= maxDifficulty) {
			return c, fmt.Errorf("%w: stability %v, difficulty %v", ErrInvalidCard, c.Stability, c.Difficulty)
		}
		if !c.LastReview.IsZero() {
			elapsed = elapsedDays(c.LastReview, now)
		}
		outcomes = s.reviewOutcomes(memory{c.Stability, c.Difficulty}, elapsed)
		if r == Again {
			next.Lapses++
		}
	default:
		return c, fmt.Errorf("%w: unknown state %d", ErrInvalidCard, int(c.State))
	}

	intervals := s.intervals(outcomes)
	m := outcomes[r-1]
	next.Stability = m.stability
	next.Difficulty = m.difficulty
	next.ElapsedDays = elapsed
	next.ScheduledDays = intervals[r-1]
	next.Due = now.Add(time.Duration(intervals[r-1]) * day)
	next.State = StateReview
	next.LastReview = now
	return next, nil
}

// Retrievability is the probability that the learner recalls card c at time
// now: 1 right after a review, 0.9 once Stability days have passed, and 0
// for a new card, which has nothing to recall. Unlike scheduling, it counts
// elapsed time to the second, so it can rank cards that fall due on the same
// day.
func (s *Scheduler) Retrievability(c Card, now time.Time) float64 {
	if c.State == StateNew || !(c.Stability > 0) {
		return 0
	}
	t := 0.0
	if !c.LastReview.IsZero() {
		t = max(now.Sub(c.LastReview).Hours()/24, 0)
	}
	return math.Pow(1+s.factor*t/c.Stability, s.decay)
}

// memory is the FSRS memory state of a card.
type memory struct {
	stability, difficulty float64
}

// reviewOutcomes returns the memory state after each rating of a card in
// memory state m reviewed elapsed days after its last review.
func (s *Scheduler) reviewOutcomes(m memory, elapsed int) [4]memory {
	r := s.forgettingCurve(float64(elapsed), m.stability)
	var out [4]memory
	for g := Again; g <= Easy; g++ {
		out[g-1].difficulty = s.nextDifficulty(m.difficulty, g)
		if g == Again {
			// A lapse never raises stability, even when the post-lapse
			// formula would (which it can for low stabilities).
			out[g-1].stability = min(max(m.stability, minStability), s.forgetStability(m, r))
		} else {
			out[g-1].stability = s.recallStability(m, r, g)
		}
	}
	return out
}

// intervals turns the four outcomes' stabilities into intervals in days.
func (s *Scheduler) intervals(outcomes [4]memory) [4]int {
	var iv [4]int
	for i, m := range outcomes {
		iv[i] = s.interval(m.stability)
	}
	// Rounding to whole days can give two ratings the same interval, or, for
	// a new card, Hard the same as Again. Force Again ≤ Hard < Good < Easy so
	// a better answer never brings the card back sooner.
	iv[0] = min(iv[0], iv[1])
	iv[1] = max(iv[1], iv[0]+1)
	iv[2] = max(iv[2], iv[1]+1)
	iv[3] = max(iv[3], iv[2]+1)
	// ts-fsrs lets the ordering push Good and Easy past the maximum interval;
	// the maximum is a promise to the learner, so it wins over strictness.
	for i := range iv {
		iv[i] = min(iv[i], s.params.MaximumInterval)
	}
	return iv
}

// interval is I(r, S) rounded to whole days, between 1 and the maximum.
func (s *Scheduler) interval(stability float64) int {
	days := int(jsRound(stability * s.intervalModifier))
	return min(max(days, 1), s.params.MaximumInterval)
}

// forgettingCurve is R(t, S), rounded to eight decimals like ts-fsrs.
func (s *Scheduler) forgettingCurve(t, stability float64) float64 {
	return roundTo8(math.Pow(1+s.factor*t/stability, s.decay))
}

// initStability is S0(G) = w[G−1]. The floor of 0.1 day follows ts-fsrs and
// keeps weights at their lower bound from giving a near-zero first stability.
func (s *Scheduler) initStability(g Rating) float64 {
	return max(s.params.Weights[g-1], 0.1)
}

// initDifficulty is D0(G) = w4 − e^(w5·(G−1)) + 1, not clamped: the mean
// reversion target D0(Easy) is used unclamped and is usually below 1.
func (s *Scheduler) initDifficulty(g Rating) float64 {
	w := &s.params.Weights
	return roundTo8(w[4] - math.Exp(float64(g-1)*w[5]) + 1)
}

// nextDifficulty moves D by −w6·(G−3), damped linearly as D nears 10 so
// that repeated lapses approach the ceiling instead of piling up against
// it, then pulls it slightly (weight w7) towards D0(Easy).
func (s *Scheduler) nextDifficulty(d float64, g Rating) float64 {
	w := &s.params.Weights
	delta := -w[6] * float64(g-3)
	damped := d + roundTo8(delta*(10-d)/9)
	reverted := roundTo8(w[7]*s.initDifficulty(Easy) + (1-w[7])*damped)
	return clampDifficulty(reverted)
}

// recallStability is the stability after a successful review. Growth is
// larger for easier cards (11−D), smaller for already stable ones (S^−w9),
// and larger the more the card had been forgotten (e^(w10·(1−R)) − 1).
func (s *Scheduler) recallStability(m memory, r float64, g Rating) float64 {
	w := &s.params.Weights
	bonus := 1.0
	switch g {
	case Hard:
		bonus = w[15]
	case Easy:
		bonus = w[16]
	}
	grown := m.stability * (1 + math.Exp(w[8])*
		(11-m.difficulty)*
		math.Pow(m.stability, -w[9])*
		(math.Exp((1-r)*w[10])-1)*
		bonus)
	return roundTo8(clampStability(grown))
}

// forgetStability is the stability after a lapse, before it is capped at the
// old stability.
func (s *Scheduler) forgetStability(m memory, r float64) float64 {
	w := &s.params.Weights
	f := w[11] *
		math.Pow(m.difficulty, -w[12]) *
		(math.Pow(m.stability+1, w[13]) - 1) *
		math.Exp((1-r)*w[14])
	return roundTo8(clampStability(f))
}

func clampStability(x float64) float64 { return min(max(x, minStability), maxStability) }

func clampDifficulty(x float64) float64 { return min(max(x, minDifficulty), maxDifficulty) }

// elapsedDays counts UTC calendar days from last to now, as ts-fsrs does: a
// review at 23:00 and one at 01:00 the next day are a day apart. Reviews
// dated before the last one (clock skew) count as the same day rather than
// as negative time, which would inflate retrievability above 1.
func elapsedDays(last, now time.Time) int {
	ly, lm, ld := last.UTC().Date()
	ny, nm, nd := now.UTC().Date()
	a := time.Date(ly, lm, ld, 0, 0, 0, 0, time.UTC).Unix()
	b := time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC).Unix()
	return max(int((b-a)/86400), 0)
}

// jsRound rounds half up, like JavaScript's Math.round, which the reference
// implementation uses. math.Round rounds half away from zero, which differs
// for negative halves, and roundTo8 does see negative values (the change in
// difficulty after Good or Easy).
func jsRound(x float64) float64 {
	f := math.Floor(x)
	if x-f >= 0.5 {
		f++
	}
	return f
}

// roundTo8 rounds to eight decimals. ts-fsrs rounds most intermediate
// results this way; repeating it keeps long review histories from drifting
// apart from the reference in the last digits.
func roundTo8(x float64) float64 {
	return jsRound(x*1e8) / 1e8
}
