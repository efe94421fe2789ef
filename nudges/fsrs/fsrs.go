package fsrs

import (
	"errors"
	"fmt"
	"time"
)

// Rating is how well a card was recalled at a review.
type Rating int

// Ratings, numbered as FSRS numbers them: the equations use the number.
const (
	Again Rating = 1 // not recalled
	Hard  Rating = 2 // recalled with serious difficulty
	Good  Rating = 3 // recalled
	Easy  Rating = 4 // recalled without effort
)

// Valid reports whether r is one of Again, Hard, Good and Easy.
func (r Rating) Valid() bool { return r >= Again && r <= Easy }

func (r Rating) String() string {
	switch r {
	case Again:
		return "again"
	case Hard:
		return "hard"
	case Good:
		return "good"
	case Easy:
		return "easy"
	}
	return fmt.Sprintf("Rating(%d)", int(r))
}

// Confidence is how sure a learner said they were of an answer.
type Confidence int

// Confidence levels. The zero value means the learner was not asked.
const (
	ConfidenceUnknown Confidence = 0
	ConfidenceLow     Confidence = 1
	ConfidenceMedium  Confidence = 2
	ConfidenceHigh    Confidence = 3
)

// RatingFromAnswer turns a quiz answer into a rating. Lore quizzes ask
// questions rather than showing flashcards, so the learner never picks a
// rating; correctness and the optional confidence stand in for it:
// a wrong answer is Again whatever the confidence (a confident mistake is
// still a lapse), a right answer is Hard with low confidence, Easy with high
// confidence and Good otherwise, including when confidence is unknown or out
// of range.
func RatingFromAnswer(correct bool, confidence Confidence) Rating {
	if !correct {
		return Again
	}
	switch confidence {
	case ConfidenceLow:
		return Hard
	case ConfidenceHigh:
		return Easy
	}
	return Good
}

// State is where a card is in its life. The numbering is ts-fsrs's, so stored
// values and reference schedules can be compared directly.
type State int

// States. This package moves every reviewed card to StateReview; learning and
// relearning exist for cards imported from schedulers with learning steps,
// and are reviewed like StateReview.
const (
	StateNew        State = 0
	StateLearning   State = 1
	StateReview     State = 2
	StateRelearning State = 3
)

func (s State) String() string {
	switch s {
	case StateNew:
		return "new"
	case StateLearning:
		return "learning"
	case StateReview:
		return "review"
	case StateRelearning:
		return "relearning"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Card is the scheduling state of one quiz card. The zero Card is a new card
// that has never been reviewed.
type Card struct {
	// Due is when the card should next be reviewed (UTC); zero for a new card.
	Due time.Time
	// Stability is the number of days after which recall probability has
	// fallen to 90%.
	Stability float64
	// Difficulty is between 1 (easy) and 10 (hard).
	Difficulty float64
	// ElapsedDays is the number of UTC calendar days between the previous
	// review and the last one; 0 after the first review.
	ElapsedDays int
	// ScheduledDays is the interval, in days, the last review set.
	ScheduledDays int
	// Reps counts reviews.
	Reps int
	// Lapses counts reviews rated Again after the first one.
	Lapses int
	// State is where the card is in its life.
	State State
	// LastReview is when the card was last reviewed (UTC); zero for a new card.
	LastReview time.Time
}

// Parameters configure the scheduler.
type Parameters struct {
	// Weights are the 21 FSRS-6 model weights w0..w20. Default: the FSRS-6
	// defaults, fitted by the FSRS authors on a large body of review logs.
	Weights [21]float64
	// DesiredRetention is the recall probability at which a card comes back,
	// strictly between 0 and 1. Higher means more reviews. Default: 0.9.
	DesiredRetention float64
	// MaximumInterval is the longest interval in days, between 1 and 36500.
	// Default: 36500.
	MaximumInterval int
}

// defaultWeights are the FSRS-6 default weights, as published with ts-fsrs 5
// and fsrs-rs.
var defaultWeights = [21]float64{
	0.212, 1.2931, 2.3065, 8.2956, // w0..w3: initial stability per rating
	6.4133, 0.8334, // w4, w5: initial difficulty
	3.0194, 0.001, // w6, w7: difficulty change and mean reversion
	1.8722, 0.1666, 0.796, // w8..w10: stability growth after success
	1.4835, 0.0614, 0.2629, 1.6483, // w11..w14: stability after a lapse
	0.6014, 1.8729, // w15, w16: hard penalty, easy bonus
	0.5425, 0.0912, 0.0658, // w17..w19: same-day reviews (unused here)
	0.1542, // w20: decay of the forgetting curve
}

// DefaultParameters returns the FSRS-6 defaults: default weights, desired
// retention 0.9 and a maximum interval of 100 years.
func DefaultParameters() Parameters {
	return Parameters{
		Weights:          defaultWeights,
		DesiredRetention: 0.9,
		MaximumInterval:  maxStability,
	}
}

// Bounds of the memory state. Stability is kept positive so the forgetting
// curve stays defined, and below 100 years because nothing longer matters.
const (
	minStability  = 0.001
	maxStability  = 36500
	minDifficulty = 1
	maxDifficulty = 10
)

// weightBounds are the ranges the FSRS-6 optimiser keeps each weight in (as
// in ts-fsrs and fsrs-rs). Outside them the equations can produce negative
// or exploding stabilities, so Validate rejects such weights.
var weightBounds = [21][2]float64{
	{minStability, 100}, {minStability, 100}, {minStability, 100}, {minStability, 100},
	{minDifficulty, maxDifficulty},
	{0.001, 4}, {0.001, 4}, {0.001, 0.75},
	{0, 4.5}, {0, 0.8}, {0.001, 3.5},
	{0.001, 5}, {0.001, 0.25}, {0.001, 0.9}, {0, 4},
	{0, 1}, {1, 6},
	{0, 2}, {0, 2}, {0, 0.8},
	{0.1, 0.8},
}

// ErrInvalidParameters is returned, wrapped, by Validate and New.
var ErrInvalidParameters = errors.New("fsrs: invalid parameters")

// Validate reports every parameter that is out of range, joined into one
// error that wraps ErrInvalidParameters.
func (p Parameters) Validate() error {
	var errs []error
	for i, w := range p.Weights {
		lo, hi := weightBounds[i][0], weightBounds[i][1]
		if !(w >= lo && w <= hi) { // also catches NaN
			errs = append(errs, fmt.Errorf("weight w%d = %v is outside [%v, %v]", i, w, lo, hi))
		}
	}
	if r := p.DesiredRetention; !(r > 0 && r < 1) {
		errs = append(errs, fmt.Errorf("desired retention %v is not strictly between 0 and 1", r))
	}
	if m := p.MaximumInterval; m < 1 || m > maxStability {
		errs = append(errs, fmt.Errorf("maximum interval %d days is outside [1, %d]", m, maxStability))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidParameters, errors.Join(errs...))
}
