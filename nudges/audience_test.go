package nudges

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/postgres"
	"github.com/lorehq/lore/store/sqlite"
	"github.com/lorehq/lore/store/storetest"
)

// nudgeBackends opens a fresh store of each kind: SQLite in a temporary
// file, PostgreSQL in a schema of its own, dropped when the test ends.
var nudgeBackends = map[string]func(t *testing.T, clock func() time.Time) Store{
	"sqlite": func(t *testing.T, clock func() time.Time) Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
	"postgres": func(t *testing.T, clock func() time.Time) Store {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "lore_nudges_test_" + hex.EncodeToString(b)
		st, err := postgres.Open(t.Context(), storetest.PostgresURL(t), postgres.Options{Schema: schema, Migrate: true, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = st.Pool().Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			st.Close()
		})
		return st
	},
}

// groups is a Directory whose groups change during a test.
type groups struct {
	mu sync.Mutex
	of map[string][]string // user -> groups
}

func (g *groups) Membership(_ context.Context, _, _, user string) (audience.Membership, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return audience.Membership{Roles: []string{audience.RoleLearner}, Groups: slices.Clone(g.of[user])}, nil
}

func (g *groups) set(user string, names ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.of[user] = names
}

const (
	openTrack = `---
id: open-basics
title: Open basics
---
## tip: Lock your screen
Press the keys before you leave your desk.

## tip: Badges
Wear your badge in the office.
`
	payrollTrack = `---
id: payroll-basics
title: Payroll basics
description: How the salary bands work
audience: %s
---
## quiz: Salary bands {#bands}
What is the top of the senior engineers' band?
- [x] 110,000 euros
- [ ] 70,000 euros
Explanation: The senior band runs from 90,000 to 110,000 euros.
Source: payroll/salary-bands.md

## tip: Band reviews {#reviews}
Salary bands are reviewed each March, before the pay rise letters.
`
)

func publish(t *testing.T, svc *Service, payrollAudience string) {
	t.Helper()
	var ts []track.Track
	for name, src := range map[string]string{"open.md": openTrack, "payroll.md": strings.Replace(payrollTrack, "%s", payrollAudience, 1)} {
		tr, err := track.Parse(name, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tr)
	}
	if _, err := svc.Publish(t.Context(), ts); err != nil {
		t.Fatal(err)
	}
}

// TestTrackAudiences: a track for the hr group and the hr channel, and an
// open one, on both stores. People outside the audience do not see it
// listed, cannot join it, are not enrolled by onboarding, and get none of
// its cards, answers or explanations once they leave the audience or the
// audience changes; people enrolled through the hr channel are admitted
// while the audience names it.
func TestTrackAudiences(t *testing.T) {
	for name, open := range nudgeBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			c := &testClock{now: monday}
			st := open(t, c.Now)
			dir := &groups{of: map[string][]string{"UHR": {"hr"}}}
			snd := &sender{}
			svc, err := New(Config{Store: st, Sender: snd, Clock: c.Now, DefaultTimeZone: paris, Directory: dir,
				Onboarding: map[string][]string{WorkspaceOnboarding: {"payroll-basics", "open-basics"}, "CHR": {"payroll-basics"}}})
			if err != nil {
				t.Fatal(err)
			}
			publish(t, svc, "group:hr channel:slack/T1/CHR")
			say := func(user, text string) string {
				t.Helper()
				cmd, rest, _ := strings.Cut(text, " ")
				r, ok := svc.HandleCommand(ctx, msg(user, text), cmd, rest)
				if !ok {
					t.Fatalf("%q not handled", text)
				}
				return r.Text
			}
			enrolled := func(user string) []string {
				t.Helper()
				l := learner(user)
				es, err := st.Enrolments(ctx, store.EnrolmentFilter{Learner: &l})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, e := range es {
					ids = append(ids, e.TrackID)
				}
				return ids
			}

			// Listing and joining.
			if r := say("UOUT", "learn"); strings.Contains(r, "payroll") || strings.Contains(r, "salary") || !strings.Contains(r, "open-basics") {
				t.Errorf("an outsider's list:\n%s", r)
			}
			if r := say("UOUT", "learn join payroll-basics"); !strings.Contains(r, "There is no track `payroll-basics` open to you") || strings.Contains(r, "110,000") {
				t.Errorf("an outsider joins: %q", r)
			}
			if got := enrolled("UOUT"); len(got) != 0 {
				t.Errorf("the outsider is enrolled in %v", got)
			}
			if r := say("UHR", "learn"); !strings.Contains(r, "payroll-basics") {
				t.Errorf("an hr member's list:\n%s", r)
			}
			if r := say("UHR", "learn join payroll-basics"); !strings.Contains(r, "110,000") {
				t.Errorf("an hr member joins without the first card: %q", r)
			}

			// Onboarding and a curator: the channel admits, a name does not.
			if err := svc.MemberJoined(ctx, learner("UNEW"), WorkspaceOnboarding); err != nil {
				t.Fatal(err)
			}
			if got := enrolled("UNEW"); !slices.Equal(got, []string{"open-basics"}) {
				t.Errorf("a newcomer to the workspace is enrolled in %v, want open-basics only", got)
			}
			if err := svc.MemberJoined(ctx, learner("UCHR"), "CHR"); err != nil {
				t.Fatal(err)
			}
			res, err := svc.EnrolAll(ctx, EnrolRequest{TrackID: "payroll-basics", Source: "curator", Learners: []store.Learner{learner("UOUT")}})
			if err != nil || res.Joined != 0 || len(res.Refused) != 1 {
				t.Errorf("a curator enrols an outsider by name: %+v, %v; want refused", res, err)
			}
			res, err = svc.EnrolAll(ctx, EnrolRequest{TrackID: "payroll-basics", Source: "curator", Channel: "CHR", Learners: []store.Learner{learner("UMEMBER")}})
			if err != nil || res.Joined != 1 {
				t.Errorf("a curator enrols the hr channel's member: %+v, %v", res, err)
			}
			if _, err := svc.Enrol(ctx, "payroll-basics", "curator", learner("UOUT"), learner("UOUT2")); err == nil || !strings.Contains(err.Error(), "2 of them are outside") {
				t.Errorf("Enrol of two outsiders: %v", err)
			}

			// Planning: everyone admitted gets the track's cards.
			tue := monday.Add(24 * time.Hour)
			planned := func() map[string]DeliverArgs {
				t.Helper()
				plan, err := svc.Plan(ctx, tue, tue.Add(24*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]DeliverArgs{}
				for _, a := range plan {
					out[a.User] = a
				}
				return out
			}
			plan := planned()
			for _, u := range []string{"UHR", "UCHR", "UMEMBER"} {
				if len(plan[u].Cards) == 0 || plan[u].Cards[0].TrackID != "payroll-basics" {
					t.Errorf("%s's plan = %+v, want a payroll card", u, plan[u])
				}
			}
			if _, ok := plan["UOUT"]; ok {
				t.Errorf("the outsider has a plan: %+v", plan["UOUT"])
			}

			// UHR leaves the hr group after the plan: the delivery sends
			// nothing, a new plan has nothing, the quiz is not graded.
			dir.set("UHR")
			c.Set(plan["UHR"].Slot)
			if err := svc.Deliver(ctx, plan["UHR"]); err != nil {
				t.Fatal(err)
			}
			if n := snd.count("UHR"); n != 0 {
				t.Errorf("%d nudges sent to UHR outside the audience", n)
			}
			if _, ok := planned()["UHR"]; ok {
				t.Error("UHR is still planned outside the audience")
			}
			if r := say("UHR", "answer 1"); !strings.Contains(r, "no longer open to you") || strings.Contains(r, "90,000") {
				t.Errorf("UHR answers the quiz outside the audience: %q", r)
			}
			if r := say("UHR", "nudge"); strings.Contains(r, "Band reviews") {
				t.Errorf("UHR gets a card on demand outside the audience: %q", r)
			}
			if got := enrolled("UHR"); !slices.Equal(got, []string{"payroll-basics"}) {
				t.Errorf("UHR's enrolments = %v, want it kept, paused", got)
			}
			// Back in the group, the track resumes where it stopped.
			dir.set("UHR", "hr")
			if r := say("UHR", "answer 1"); !strings.Contains(r, "Right") {
				t.Errorf("UHR back in hr answers: %q", r)
			}

			// The audience no longer names the channel: those enrolled
			// through it get nothing more.
			c.Set(monday)
			publish(t, svc, "group:hr")
			plan = planned()
			for _, u := range []string{"UCHR", "UMEMBER"} {
				if a, ok := plan[u]; ok {
					t.Errorf("%s is planned %+v after the audience dropped the channel", u, a)
				}
			}
			if _, ok := plan["UHR"]; !ok {
				t.Error("UHR, in hr, has no plan")
			}
			if r := say("UCHR", "learn"); strings.Contains(r, "payroll") {
				t.Errorf("UCHR's list after the audience dropped the channel:\n%s", r)
			}
		})
	}
}
