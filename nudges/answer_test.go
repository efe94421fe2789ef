package nudges

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

// A track the learner left sends nothing on demand, its reviews included,
// neither with "nudge" nor with the first card of another track.
func TestLeftTrackSendsNoReviewsOnDemand(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "learn join security-basics") // the tip
	f.clock.Set(monday.Add(time.Minute))
	f.cmd(t, "ann", "nudge") // the report-phish quiz
	if r := f.cmd(t, "ann", "answer 2"); !strings.Contains(r.Text, "Right") {
		t.Fatalf("answer = %q", r.Text)
	}
	f.cmd(t, "ann", "learn leave security-basics")
	f.clock.Set(monday.Add(30 * 24 * time.Hour)) // the quiz is long due
	if r := f.cmd(t, "ann", "nudge"); !strings.Contains(r.Text, "Nothing to learn right now") {
		t.Errorf("nudge after leaving = %q", r.Text)
	}
	if r := f.cmd(t, "ann", "learn join leave-and-time-off"); strings.Contains(r.Text, "Where do you report") {
		t.Errorf("joining another track sent a review of the one left: %q", r.Text)
	}
}

// quizTwice delivers ann the report-phish quiz on Tuesday, unanswered, and
// again as a review on Wednesday, and returns the two messages.
func quizTwice(t *testing.T, f *fixture) (tue, wed bot.Reply) {
	t.Helper()
	f.cmd(t, "ann", "learn join security-basics")
	for day := 1; day <= 2; day++ {
		from := monday.Add(time.Duration(day) * 24 * time.Hour)
		plan, err := f.svc.Plan(t.Context(), from, from.Add(24*time.Hour))
		if err != nil || len(plan) != 1 {
			t.Fatalf("plan of day %d = %+v, %v", day, plan, err)
		}
		f.clock.Set(plan[0].Slot)
		if err := f.svc.Deliver(t.Context(), plan[0]); err != nil {
			t.Fatal(err)
		}
	}
	sent := f.sender.sent["ann"]
	if len(sent) != 2 || !strings.Contains(sent[0].Text, "Where do you report") || !strings.Contains(sent[1].Text, "Where do you report") ||
		!strings.Contains(sent[1].Text, "· review") {
		t.Fatalf("sent = %+v; want the quiz on Tuesday and its review on Wednesday", sent)
	}
	f.clock.Set(f.clock.Now().Add(time.Minute))
	return sent[0], sent[1]
}

// reportPhish is ann's state of the report-phish quiz.
func reportPhish(t *testing.T, f *fixture) store.CardState {
	t.Helper()
	states, err := f.st.CardStates(t.Context(), learner("ann"), "security-basics")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.CardID == "report-phish" {
			return s
		}
	}
	t.Fatal("no state of report-phish")
	return store.CardState{}
}

// pressQuiz presses option i of the quiz in message r.
func (f *fixture) pressQuiz(t *testing.T, r bot.Reply, i int) bot.Reply {
	t.Helper()
	for _, b := range r.Buttons {
		if strings.HasSuffix(b.Value, "|report-phish|"+string(rune('0'+i))) {
			got, ok := f.svc.HandleAction(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", User: "ann", ID: ActionQuizAnswer, Value: b.Value})
			if !ok {
				t.Fatal("press not handled")
			}
			return got
		}
	}
	t.Fatalf("no button %d of report-phish in %+v", i, r.Buttons)
	return bot.Reply{}
}

// An unanswered quiz comes back the next day as a review, so it sits in two
// deliveries; it is still reviewed once, whichever of them is answered
// first and however: one FSRS review, one quiz_answered event.
func TestQuizInTwoDeliveriesIsReviewedOnce(t *testing.T) {
	for _, c := range []struct {
		name   string
		answer func(t *testing.T, f *fixture, tue, wed bot.Reply) (first, second bot.Reply)
		want   string // the second reply
	}{
		{"answer typed twice", func(t *testing.T, f *fixture, _, _ bot.Reply) (bot.Reply, bot.Reply) {
			return f.cmd(t, "ann", "answer 2"), f.cmd(t, "ann", "answer 1")
		}, "no unanswered quiz"},
		{"newer message, then the older one's button", func(t *testing.T, f *fixture, tue, wed bot.Reply) (bot.Reply, bot.Reply) {
			return f.pressQuiz(t, wed, 1), f.pressQuiz(t, tue, 0)
		}, "already answered this quiz in another nudge"},
		{"older message, then the newer one's button", func(t *testing.T, f *fixture, tue, wed bot.Reply) (bot.Reply, bot.Reply) {
			return f.pressQuiz(t, tue, 1), f.pressQuiz(t, wed, 0)
		}, "already answered this quiz in another nudge"},
		{"older message, then typed", func(t *testing.T, f *fixture, tue, _ bot.Reply) (bot.Reply, bot.Reply) {
			return f.pressQuiz(t, tue, 1), f.cmd(t, "ann", "answer 1")
		}, "no unanswered quiz"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			tue, wed := quizTwice(t, f)
			first, second := c.answer(t, f, tue, wed)
			if !strings.Contains(first.Text, "Right") {
				t.Fatalf("first answer = %q", first.Text)
			}
			if !strings.Contains(second.Text, c.want) {
				t.Errorf("second answer = %q, want %q", second.Text, c.want)
			}
			if s := reportPhish(t, f); s.Reps != 1 || s.Lapses != 0 {
				t.Errorf("report-phish = %+v; want one review, right", s)
			}
			if n := len(f.events(t, store.EventQuizAnswered)); n != 1 {
				t.Errorf("quiz_answered events = %d, want 1", n)
			}
		})
	}
}

// failingReviews is a store whose writes of a quiz's review fail while
// fail is set.
type failingReviews struct {
	Store
	fail bool
}

var errReviewWrite = errors.New("disk full")

func (s *failingReviews) SaveCardState(ctx context.Context, c store.CardState) error {
	if s.fail {
		return errReviewWrite
	}
	return s.Store.SaveCardState(ctx, c)
}

func (s *failingReviews) RecordQuizAnswer(ctx context.Context, r store.QuizReview) (bool, error) {
	if s.fail {
		return false, errReviewWrite
	}
	return s.Store.RecordQuizAnswer(ctx, r)
}

// An answer counts only with its review: when the review cannot be saved,
// nothing is recorded, and answering again grades and schedules the card.
func TestAnswerCountsOnlyWithItsReview(t *testing.T) {
	f := setup(t)
	st := &failingReviews{Store: f.st}
	svc, err := New(Config{Store: st, Sender: f.sender, Clock: f.clock.Now, DefaultTimeZone: paris})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	f.cmd(t, "ann", "learn join security-basics")
	f.clock.Set(monday.Add(time.Minute))
	f.cmd(t, "ann", "nudge") // the report-phish quiz
	st.fail = true
	if r := f.cmd(t, "ann", "answer 2"); !strings.Contains(r.Text, "nothing was changed") {
		t.Errorf("answer while reviews cannot be saved = %q", r.Text)
	}
	st.fail = false
	if r := f.cmd(t, "ann", "answer 2"); !strings.Contains(r.Text, "Right") {
		t.Fatalf("answer again = %q; want it graded", r.Text)
	}
	if s := reportPhish(t, f); s.Reps != 1 || s.LastReview.IsZero() {
		t.Errorf("report-phish = %+v; want one review", s)
	}
	if n := len(f.events(t, store.EventQuizAnswered)); n != 1 {
		t.Errorf("quiz_answered events = %d, want 1", n)
	}
}

// A quiz pressed in a direct message that names no workspace (Discord's,
// for a learner enrolled in a server) is the learner's own answer;
// someone else's press, or one from another workspace, is refused.
func TestQuizPressedWithoutWorkspace(t *testing.T) {
	f := setup(t)
	tue, _ := quizTwice(t, f)
	var button bot.Button
	for _, b := range tue.Buttons {
		if strings.HasSuffix(b.Value, "|report-phish|1") {
			button = b
		}
	}
	press := func(workspace, user string) string {
		r, ok := f.svc.HandleAction(t.Context(), bot.Action{Platform: "slack", Workspace: workspace, User: user, ID: ActionQuizAnswer, Value: button.Value})
		if !ok {
			t.Fatal("press not handled")
		}
		return r.Text
	}
	if r := press("", "bob"); !strings.Contains(r, "someone else") {
		t.Errorf("bob's press = %q", r)
	}
	if r := press("T2", "ann"); !strings.Contains(r, "someone else") {
		t.Errorf("ann's press from another workspace = %q", r)
	}
	if r := press("", "ann"); !strings.Contains(r, "Right") {
		t.Fatalf("ann's press without a workspace = %q", r)
	}
	if s := reportPhish(t, f); s.Reps != 1 {
		t.Errorf("report-phish = %+v, want ann's review", s)
	}
	if r := press("T1", "ann"); !strings.Contains(r, "already answered") {
		t.Errorf("second press = %q", r)
	}
}
