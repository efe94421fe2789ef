package fsrs

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// vectorFile is the layout of the reference schedules in
// ../shared/testdata/fsrs (relative to the repository root).
type vectorFile struct {
	Generator  string `json:"generator"`
	Parameters struct {
		RequestRetention float64   `json:"request_retention"`
		MaximumInterval  int       `json:"maximum_interval"`
		W                []float64 `json:"w"`
		EnableFuzz       bool      `json:"enable_fuzz"`
		EnableShortTerm  bool      `json:"enable_short_term"`
	} `json:"parameters"`
	Cards []struct {
		Card  int `json:"card"`
		Steps []struct {
			ReviewAt      time.Time `json:"review_at"`
			Rating        Rating    `json:"rating"`
			Stability     float64   `json:"stability"`
			Difficulty    float64   `json:"difficulty"`
			ScheduledDays int       `json:"scheduled_days"`
			Due           time.Time `json:"due"`
			State         State     `json:"state"`
		} `json:"steps"`
	} `json:"cards"`
}

// vectorDir finds the shared reference schedules: the folder "shared" next to
// the repository root. Without it the replay cannot prove anything, so it
// fails in CI (where the folder is always provided) and skips elsewhere.
func vectorDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory; cannot locate ../shared")
		}
		dir = parent
	}
	vectors := filepath.Join(dir, "..", "shared", "testdata", "fsrs")
	if fi, err := os.Stat(vectors); err != nil || !fi.IsDir() {
		msg := "FSRS reference schedules not found at " + vectors + " (the shared folder must sit next to the repository root)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return vectors
}

// TestReferenceSchedules replays every card of every reference file and
// checks the card after each review against what ts-fsrs computed.
func TestReferenceSchedules(t *testing.T) {
	dir := vectorDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no *.json reference schedules in %s", dir)
	}
	const tol = 5e-5 // equal to four decimal places
	var cards, reviews int
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var vf vectorFile
			if err := json.Unmarshal(raw, &vf); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if vf.Parameters.EnableFuzz || vf.Parameters.EnableShortTerm {
				t.Fatalf("schedules made with fuzz or short-term steps cannot be reproduced by this package (enable_fuzz=%v, enable_short_term=%v)",
					vf.Parameters.EnableFuzz, vf.Parameters.EnableShortTerm)
			}
			if len(vf.Parameters.W) != 21 {
				t.Fatalf("got %d weights, want the 21 of FSRS-6", len(vf.Parameters.W))
			}
			p := Parameters{
				DesiredRetention: vf.Parameters.RequestRetention,
				MaximumInterval:  vf.Parameters.MaximumInterval,
			}
			copy(p.Weights[:], vf.Parameters.W)
			s, err := New(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(vf.Cards) == 0 {
				t.Fatal("file holds no cards")
			}
			for _, vc := range vf.Cards {
				var c Card
				for i, want := range vc.Steps {
					c, err = s.Review(c, want.Rating, want.ReviewAt)
					if err != nil {
						t.Fatalf("card %d review %d: %v", vc.Card, i, err)
					}
					reviews++
					where := func(field string, got, exp any) {
						t.Errorf("card %d review %d (%s at %s): %s = %v, want %v",
							vc.Card, i, want.Rating, want.ReviewAt.Format(time.DateOnly), field, got, exp)
					}
					if math.Abs(c.Stability-want.Stability) > tol {
						where("stability", c.Stability, want.Stability)
					}
					if math.Abs(c.Difficulty-want.Difficulty) > tol {
						where("difficulty", c.Difficulty, want.Difficulty)
					}
					if c.State != want.State {
						where("state", c.State, want.State)
					}
					if c.ScheduledDays != want.ScheduledDays {
						where("scheduled days", c.ScheduledDays, want.ScheduledDays)
					}
					if !c.Due.Equal(want.Due) {
						where("due", c.Due, want.Due)
					}
					if c.Reps != i+1 {
						where("reps", c.Reps, i+1)
					}
				}
				cards++
			}
		})
	}
	t.Logf("replayed %d cards, %d reviews", cards, reviews)
}
