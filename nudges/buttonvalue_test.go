package nudges

import (
	"strings"
	"testing"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/nudges/track"
)

// A quiz option's button value fits what every chat platform carries back
// (Discord's custom_id holds 100 characters, the adapter's prefix and the
// action id included), however long the track's and the card's ids are,
// and a press still answers the quiz.
func TestQuizButtonValuesStayShort(t *testing.T) {
	f := setup(t)
	src := `---
id: expenses-and-purchasing-for-the-engineering-department
title: Expenses
audience: everyone
cadence: daily
---

## quiz: What is the deadline for submitting an expense claim after a trip?

- [ ] A year
- [x] Thirty days
- [ ] Never

Explanation: Claims are due within thirty days.
`
	tr, err := track.Parse("expenses.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Publish(t.Context(), []track.Track{tr}); err != nil {
		t.Fatal(err)
	}
	r := f.cmd(t, "ann", "learn join "+tr.ID)
	if len(r.Buttons) == 0 {
		r = f.cmd(t, "ann", "nudge")
	}
	if len(r.Buttons) != 3 {
		t.Fatalf("quiz buttons = %+v (text %q)", r.Buttons, r.Text)
	}
	for _, b := range r.Buttons {
		if n := len(b.Value); n > maxButtonValue {
			t.Errorf("button value of %d bytes, more than %d: %q", n, maxButtonValue, b.Value)
		}
	}
	got, ok := f.svc.HandleAction(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", User: "ann", ID: ActionQuizAnswer, Value: r.Buttons[1].Value})
	if !ok || !strings.Contains(got.Text, "Right") {
		t.Fatalf("press = %+v", got)
	}
	if n := len(f.events(t, "quiz_answered")); n != 1 {
		t.Errorf("%d quiz_answered events, want 1", n)
	}
}
