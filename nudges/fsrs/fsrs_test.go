package fsrs

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

func newScheduler(t testing.TB, p Parameters) *Scheduler {
	t.Helper()
	s, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func review(t testing.TB, s *Scheduler, c Card, r Rating, at time.Time) Card {
	t.Helper()
	next, err := s.Review(c, r, at)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

func TestDefaultParametersAreValid(t *testing.T) {
	p := DefaultParameters()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.DesiredRetention != 0.9 || p.MaximumInterval != 36500 || p.Weights[20] != 0.1542 {
		t.Errorf("defaults = %+v", p)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Parameters)
		want   []string // substrings of the error; none means valid
	}{
		{"defaults", func(*Parameters) {}, nil},
		{"retention 0.7", func(p *Parameters) { p.DesiredRetention = 0.7 }, nil},
		{"maximum interval 1", func(p *Parameters) { p.MaximumInterval = 1 }, nil},
		{"retention zero", func(p *Parameters) { p.DesiredRetention = 0 }, []string{"desired retention 0"}},
		{"retention one", func(p *Parameters) { p.DesiredRetention = 1 }, []string{"desired retention 1"}},
		{"retention NaN", func(p *Parameters) { p.DesiredRetention = math.NaN() }, []string{"desired retention NaN"}},
		{"maximum interval zero", func(p *Parameters) { p.MaximumInterval = 0 }, []string{"maximum interval 0"}},
		{"maximum interval too long", func(p *Parameters) { p.MaximumInterval = 36501 }, []string{"maximum interval 36501"}},
		{"negative initial stability", func(p *Parameters) { p.Weights[0] = -1 }, []string{"w0 = -1"}},
		{"decay too small", func(p *Parameters) { p.Weights[20] = 0.05 }, []string{"w20 = 0.05"}},
		{"weight NaN", func(p *Parameters) { p.Weights[9] = math.NaN() }, []string{"w9 = NaN"}},
		{"weight infinite", func(p *Parameters) { p.Weights[16] = math.Inf(1) }, []string{"w16 = +Inf"}},
		{"zero value", func(p *Parameters) { *p = Parameters{} }, []string{"w0 = 0", "w20 = 0", "desired retention", "maximum interval"}},
		{"several at once", func(p *Parameters) {
			p.Weights[7] = 0.9
			p.DesiredRetention = 2
		}, []string{"w7 = 0.9", "desired retention 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParameters()
			tt.modify(&p)
			err := p.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidParameters) {
				t.Fatalf("Validate = %v, want an error wrapping ErrInvalidParameters", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, err := New(p); !errors.Is(err, ErrInvalidParameters) {
				t.Errorf("New accepted invalid parameters: %v", err)
			}
		})
	}
}

// By construction of the forgetting curve, recall probability is 90% after
// exactly Stability days, whatever the decay and the desired retention.
func TestRetrievabilityAtStabilityIsNinetyPercent(t *testing.T) {
	for _, decay := range []float64{0.1, 0.1542, 0.5, 0.8} {
		for _, retention := range []float64{0.8, 0.9, 0.97} {
			p := DefaultParameters()
			p.Weights[20] = decay
			p.DesiredRetention = retention
			s := newScheduler(t, p)
			for _, stability := range []float64{0.5, 8.2956, 365, 20000} {
				c := Card{State: StateReview, Stability: stability, Difficulty: 5, LastReview: t0}
				at := t0.Add(time.Duration(stability * float64(day)))
				if got := s.Retrievability(c, at); math.Abs(got-0.9) > 1e-6 {
					t.Errorf("decay %v, retention %v: R(S=%v) = %v, want 0.9", decay, retention, stability, got)
				}
			}
		}
	}
}

func TestRetrievability(t *testing.T) {
	s := newScheduler(t, DefaultParameters())
	c := Card{State: StateReview, Stability: 10, Difficulty: 5, LastReview: t0}
	if got := s.Retrievability(c, t0); got != 1 {
		t.Errorf("R right after review = %v, want 1", got)
	}
	if got := s.Retrievability(c, t0.Add(-time.Hour)); got != 1 {
		t.Errorf("R before the last review = %v, want 1", got)
	}
	prev := 1.0
	for d := 1; d <= 100; d++ {
		r := s.Retrievability(c, t0.Add(time.Duration(d)*day))
		if !(r < prev && r > 0) {
			t.Fatalf("R not strictly decreasing in (0, 1): day %d R = %v, day before %v", d, r, prev)
		}
		prev = r
	}
	if got := s.Retrievability(Card{}, t0); got != 0 {
		t.Errorf("R of a new card = %v, want 0", got)
	}
}

// The interval is where the forgetting curve reaches the desired retention,
// up to rounding to whole days.
func TestIntervalHitsDesiredRetention(t *testing.T) {
	for _, retention := range []float64{0.7, 0.8, 0.9, 0.95} {
		p := DefaultParameters()
		p.DesiredRetention = retention
		s := newScheduler(t, p)
		c := review(t, s, Card{}, Easy, t0)
		for range 5 {
			c = review(t, s, c, Good, c.Due)
			if c.ScheduledDays == p.MaximumInterval {
				break // capped: the curve no longer decides
			}
			lo := s.Retrievability(c, c.Due.Add(-day/2))
			hi := s.Retrievability(c, c.Due.Add(day/2))
			if !(hi <= retention && retention <= lo) {
				t.Fatalf("retention %v: S %.2f, interval %d: R within half a day of due spans [%v, %v]",
					retention, c.Stability, c.ScheduledDays, hi, lo)
			}
		}
	}
}

func TestRatingFromAnswer(t *testing.T) {
	tests := []struct {
		correct    bool
		confidence Confidence
		want       Rating
	}{
		{false, ConfidenceUnknown, Again},
		{false, ConfidenceLow, Again},
		{false, ConfidenceHigh, Again},
		{true, ConfidenceLow, Hard},
		{true, ConfidenceUnknown, Good},
		{true, ConfidenceMedium, Good},
		{true, Confidence(7), Good},
		{true, ConfidenceHigh, Easy},
	}
	for _, tt := range tests {
		if got := RatingFromAnswer(tt.correct, tt.confidence); got != tt.want {
			t.Errorf("RatingFromAnswer(%v, %d) = %v, want %v", tt.correct, tt.confidence, got, tt.want)
		}
	}
}

func TestFirstReview(t *testing.T) {
	s := newScheduler(t, DefaultParameters())
	w := DefaultParameters().Weights
	tests := []struct {
		rating     Rating
		stability  float64
		difficulty float64
		days       int
	}{
		// Again and Hard both round to one day; Hard is pushed to two so the
		// better answer waits longer, and Good to three after it.
		{Again, w[0], w[4], 1},
		{Hard, w[1], 5.11217071, 2},
		{Good, w[2], 2.11810397, 3},
		{Easy, w[3], 1, 8}, // D0(Easy) is below 1 and clamped
	}
	for _, tt := range tests {
		t.Run(tt.rating.String(), func(t *testing.T) {
			c := review(t, s, Card{}, tt.rating, t0)
			if math.Abs(c.Stability-tt.stability) > 1e-8 || math.Abs(c.Difficulty-tt.difficulty) > 1e-8 {
				t.Errorf("S, D = %v, %v; want %v, %v", c.Stability, c.Difficulty, tt.stability, tt.difficulty)
			}
			if c.ScheduledDays != tt.days || !c.Due.Equal(t0.Add(time.Duration(tt.days)*day)) {
				t.Errorf("interval %d days, due %v; want %d days", c.ScheduledDays, c.Due, tt.days)
			}
			if c.State != StateReview || c.Reps != 1 || c.Lapses != 0 || c.ElapsedDays != 0 || !c.LastReview.Equal(t0) {
				t.Errorf("card = %+v", c)
			}
		})
	}
}

// A better rating never brings a card back sooner: Again ≤ Hard < Good < Easy
// for a range of memory states and delays, including same-day reviews.
func TestIntervalsIncreaseWithRating(t *testing.T) {
	s := newScheduler(t, DefaultParameters())
	for _, stability := range []float64{0.1, 1, 3.7, 30, 400, 9000} {
		for _, difficulty := range []float64{1, 4.2, 7, 10} {
			for _, elapsed := range []int{0, 1, 5, 60, 2000} {
				c := Card{State: StateReview, Stability: stability, Difficulty: difficulty, LastReview: t0}
				at := t0.Add(time.Duration(elapsed) * day)
				var iv [4]int
				for r := Again; r <= Easy; r++ {
					iv[r-1] = review(t, s, c, r, at).ScheduledDays
				}
				if !(iv[0] <= iv[1] && iv[1] < iv[2] && iv[2] < iv[3]) {
					t.Errorf("S %v, D %v, %d days late: intervals again..easy = %v", stability, difficulty, elapsed, iv)
				}
			}
		}
	}
}

func TestIntervalClampedToMaximum(t *testing.T) {
	p := DefaultParameters()
	p.MaximumInterval = 30
	s := newScheduler(t, p)
	c := review(t, s, Card{}, Easy, t0)
	for range 10 {
		for r := Again; r <= Easy; r++ {
			if d := review(t, s, c, r, c.Due).ScheduledDays; d > 30 {
				t.Fatalf("%v: interval %d days exceeds the maximum of 30", r, d)
			}
		}
		c = review(t, s, c, Easy, c.Due)
	}
	if c.ScheduledDays != 30 || !c.Due.Equal(c.LastReview.Add(30*day)) {
		t.Errorf("after many easy reviews: interval %d, due %v, last review %v; want 30 days",
			c.ScheduledDays, c.Due, c.LastReview)
	}
	if c.Stability <= 30 {
		t.Errorf("stability %v: the cap should limit the interval, not the memory state", c.Stability)
	}
}

func TestSameDayReview(t *testing.T) {
	s := newScheduler(t, DefaultParameters())
	c := review(t, s, Card{}, Good, t0)
	c = review(t, s, c, Good, t0.Add(3*day))

	again := review(t, s, c, Good, c.LastReview.Add(2*time.Hour))
	if again.ElapsedDays != 0 {
		t.Errorf("elapsed days = %d, want 0", again.ElapsedDays)
	}
	// Retrievability is 1 on the same day, so recalling the card proves
	// nothing new about memory.
	if again.Stability != c.Stability {
		t.Errorf("same-day Good changed stability: %v -> %v", c.Stability, again.Stability)
	}
	lapse := review(t, s, c, Again, c.LastReview.Add(2*time.Hour))
	if lapse.Stability > c.Stability || lapse.Difficulty <= c.Difficulty {
		t.Errorf("same-day Again: S %v -> %v, D %v -> %v", c.Stability, lapse.Stability, c.Difficulty, lapse.Difficulty)
	}
}

// Days are UTC calendar days: late evening to early next morning is a day.
func TestElapsedDaysAreCalendarDays(t *testing.T) {
	s := newScheduler(t, DefaultParameters())
	evening := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	c := review(t, s, Card{}, Good, evening)
	c = review(t, s, c, Good, evening.Add(2*time.Hour))
	if c.ElapsedDays != 1 {
		t.Errorf("elapsed days = %d, want 1", c.ElapsedDays)
	}
	// The caller's time zone does not move the day boundary.
	berlin := time.FixedZone("CET", 3600)
	c = review(t, s, c, Good, time.Date(2026, 3, 3, 0, 30, 0, 0, berlin)) // 2 March 23:30 UTC
	if c.ElapsedDays != 0 || c.LastReview.Location() != time.UTC {
		t.Errorf("elapsed days = %d, last review %v; want 0 days, in UTC", c.ElapsedDays, c.LastReview)
	}
}

// For a barely learnt card reviewed long after, the post-lapse formula
// exceeds the old stability; forgetting must still not make memory stronger.
func TestLapseNeverRaisesStability(t *testing.T) {
	s := newScheduler(t, DefaultParameters())
	c := Card{State: StateReview, Stability: 0.1, Difficulty: 1, LastReview: t0}
	at := t0.Add(3650 * day)
	r := s.forgettingCurve(3650, c.Stability)
	if f := s.forgetStability(memory{c.Stability, c.Difficulty}, r); f <= c.Stability {
		t.Fatalf("post-lapse formula gives %v, not above %v: the case is not exercised", f, c.Stability)
	}
	if got := review(t, s, c, Again, at); got.Stability != c.Stability {
		t.Errorf("stability after lapse = %v, want the old %v", got.Stability, c.Stability)
	}
}

func TestLapsesAndReps(t *testing.T) {
	s := newScheduler(t, DefaultParameters())
	c := review(t, s, Card{}, Again, t0) // a first Again is not a lapse
	c = review(t, s, c, Good, c.Due)
	c = review(t, s, c, Again, c.Due)
	c = review(t, s, c, Again, c.Due)
	if c.Reps != 4 || c.Lapses != 2 {
		t.Errorf("reps %d, lapses %d; want 4, 2", c.Reps, c.Lapses)
	}
}

// Cards imported in a learning state are scheduled like review cards.
func TestLearningStatesReviewLikeReview(t *testing.T) {
	s := newScheduler(t, DefaultParameters())
	base := Card{State: StateReview, Stability: 4, Difficulty: 6, LastReview: t0}
	want := review(t, s, base, Good, t0.Add(4*day))
	for _, st := range []State{StateLearning, StateRelearning} {
		c := base
		c.State = st
		got := review(t, s, c, Good, t0.Add(4*day))
		if got != want {
			t.Errorf("%v: got %+v, want %+v", st, got, want)
		}
	}
}

func TestReviewRejectsInvalidInput(t *testing.T) {
	s := newScheduler(t, DefaultParameters())
	valid := Card{State: StateReview, Stability: 4, Difficulty: 6, LastReview: t0}
	for _, r := range []Rating{0, 5, -1} {
		if _, err := s.Review(Card{}, r, t0); !errors.Is(err, ErrInvalidRating) {
			t.Errorf("rating %d: err = %v, want ErrInvalidRating", r, err)
		}
	}
	bad := []Card{
		{State: State(9), Stability: 4, Difficulty: 6},
		{State: StateReview, Stability: 0, Difficulty: 6},
		{State: StateReview, Stability: math.NaN(), Difficulty: 6},
		{State: StateReview, Stability: 4, Difficulty: 0},
		{State: StateReview, Stability: 4, Difficulty: 11},
	}
	for _, c := range bad {
		got, err := s.Review(c, Good, t0)
		if !errors.Is(err, ErrInvalidCard) {
			t.Errorf("card %+v: err = %v, want ErrInvalidCard", c, err)
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", c) { // %v, because NaN != NaN
			t.Errorf("card changed on error: %+v", got)
		}
	}
	if _, err := s.Review(valid, Good, t0.Add(day)); err != nil {
		t.Errorf("valid card: %v", err)
	}
}

// One Scheduler serves concurrent reviews (run with -race).
func TestSchedulerConcurrentUse(t *testing.T) {
	s := newScheduler(t, DefaultParameters())
	want := review(t, s, review(t, s, Card{}, Good, t0), Hard, t0.Add(3*day))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c, _ := s.Review(Card{}, Good, t0)
				c, _ = s.Review(c, Hard, t0.Add(3*day))
				if c != want {
					t.Errorf("concurrent review gave %+v, want %+v", c, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkReview(b *testing.B) {
	s := newScheduler(b, DefaultParameters())
	c := Card{State: StateReview, Stability: 12.5, Difficulty: 5.3, LastReview: t0}
	at := t0.Add(14 * day)
	for b.Loop() {
		if _, err := s.Review(c, Good, at); err != nil {
			b.Fatal(err)
		}
	}
}
