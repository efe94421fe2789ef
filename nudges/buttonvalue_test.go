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

// A quiz's card lists its options numbered; each button names its option
// by its text alone, so that an adapter numbering buttons (the terminal's
// "[1]") does not number them twice, and a long option still fits.
func TestQuizButtonsNameTheirOption(t *testing.T) {
	f := setup(t)
	long := strings.Repeat("very ", 20) + "long option"
	src := "---\nid: rota\ntitle: Rota\naudience: everyone\ncadence: daily\n---\n\n" +
		"## quiz: When is the rota published?\n\n- [x] Every Monday\n- [ ] Every Friday\n- [ ] " + long + "\n\nExplanation: It comes out on Mondays.\n"
	tr, err := track.Parse("rota.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Publish(t.Context(), []track.Track{tr}); err != nil {
		t.Fatal(err)
	}
	r := f.cmd(t, "ann", "learn join rota")
	if !strings.Contains(r.Text, "1. Every Monday\n2. Every Friday\n") {
		t.Errorf("card text does not list the options numbered: %q", r.Text)
	}
	want := []string{"Every Monday", "Every Friday", string([]rune(long)[:69]) + "…"}
	if len(r.Buttons) != len(want) {
		t.Fatalf("quiz buttons = %+v", r.Buttons)
	}
	for i, b := range r.Buttons {
		if b.Label != want[i] {
			t.Errorf("button %d labelled %q, want %q", i, b.Label, want[i])
		}
	}
}
