package engagement

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/lorehq/lore/store"
)

// Privacy thresholds: a breakdown never shows a group of fewer than K
// people. DefaultK is used when none is configured; MinK is the floor an
// operator cannot go below, since with groups of one or two a person's own
// activity is easy to read off.
const (
	DefaultK = 5
	MinK     = 3
)

// CheckK refuses a threshold below MinK; 0 means DefaultK.
func CheckK(k int) (int, error) {
	if k == 0 {
		return DefaultK, nil
	}
	if k < MinK {
		return 0, fmt.Errorf("privacy threshold k=%d: it may not be below %d", k, MinK)
	}
	return k, nil
}

// Group is one row of a breakdown (by platform, channel, team or topic).
type Group struct {
	Name      string `json:"name"`
	People    int    `json:"people"`
	Questions int    `json:"questions"`
	Answered  int    `json:"answered"`
}

// OtherGroup names the row that holds merged small groups.
const OtherGroup = "Other"

type groupAcc struct {
	name      string
	people    map[string]struct{}
	questions int
	answered  int
}

// merge adds o's people and counts to g.
func (g *groupAcc) merge(o *groupAcc) {
	if g.people == nil {
		g.people = map[string]struct{}{}
	}
	maps.Copy(g.people, o.people)
	g.questions += o.questions
	g.answered += o.answered
}

func (g *groupAcc) add(e store.Event) {
	if g.people == nil {
		g.people = map[string]struct{}{}
	}
	if e.User != "" {
		g.people[e.User] = struct{}{}
	}
	switch e.Kind {
	case store.EventQuestion:
		g.questions++
	case store.EventAnswer:
		if e.Confident {
			g.answered++
		}
	}
}

// suppress applies the k threshold to a breakdown (see suppressGroups).
func suppress(groups []*groupAcc, k int) []Group {
	return rows(suppressGroups(groups, k))
}

// suppressGroups applies the k threshold to the groups of one cell (a
// day): groups of fewer than k people are merged into OtherGroup, and if
// that merged group is itself smaller than k, the smallest visible groups
// join it until it is not, so that no small group can be recovered by
// subtracting the visible groups from a total. When even all groups
// together are fewer than k people, nothing is shown (nil). The visible
// groups come largest first, then OtherGroup.
func suppressGroups(groups []*groupAcc, k int) []*groupAcc {
	slices.SortFunc(groups, func(a, b *groupAcc) int {
		return cmp.Or(cmp.Compare(len(b.people), len(a.people)), cmp.Compare(a.name, b.name))
	})
	var visible, small []*groupAcc
	for _, g := range groups {
		if len(g.people) >= k {
			visible = append(visible, g)
		} else {
			small = append(small, g)
		}
	}
	if len(small) > 0 {
		other := &groupAcc{name: OtherGroup, people: map[string]struct{}{}}
		for _, g := range small {
			other.merge(g)
		}
		for len(other.people) < k && len(visible) > 0 {
			other.merge(visible[len(visible)-1])
			visible = visible[:len(visible)-1]
		}
		if len(other.people) < k {
			return nil
		}
		visible = append(visible, other)
	}
	return visible
}

// addGroups adds one day's suppressed groups to a period's, by name: a
// group's row over a period is the sum of the days it was shown on, and
// "Other" the sum of the days' "Other", each of k people or more.
func addGroups(period map[string]*groupAcc, day []*groupAcc) {
	for _, g := range day {
		acc := period[g.name]
		if acc == nil {
			acc = &groupAcc{name: g.name, people: map[string]struct{}{}}
			period[g.name] = acc
		}
		acc.merge(g)
	}
}

// breakdown lists a period's groups, added up from its days by addGroups,
// largest first and OtherGroup last.
func breakdown(period map[string]*groupAcc) []Group {
	var groups []*groupAcc
	other := period[OtherGroup]
	for name, g := range period {
		if name != OtherGroup {
			groups = append(groups, g)
		}
	}
	slices.SortFunc(groups, func(a, b *groupAcc) int {
		return cmp.Or(cmp.Compare(len(b.people), len(a.people)), cmp.Compare(a.name, b.name))
	})
	if other != nil {
		groups = append(groups, other)
	}
	return rows(groups)
}

func rows(groups []*groupAcc) []Group {
	if len(groups) == 0 {
		return nil
	}
	out := make([]Group, len(groups))
	for i, g := range groups {
		out[i] = Group{Name: g.name, People: len(g.people), Questions: g.questions, Answered: g.answered}
	}
	return out
}

// ForgetStore is what Forget needs.
type ForgetStore interface {
	Forget(ctx context.Context, user string, keepCounts bool) (store.ForgetResult, error)
	AddStatements(ctx context.Context, ss []store.Statement) error
	Statements(ctx context.Context, f store.StatementFilter) ([]store.Statement, error)
	ForwardedIDs(ctx context.Context, user, after string, limit int) ([]string, error)
}

// Voider makes the statement that voids a stored one: the Mapper that
// made the statements, or a StatementVoider where no pseudonym key is
// configured.
type Voider interface {
	Void(id string, at time.Time) Statement
}

// forgetPage is how many statements Forget reads at a time; a variable
// for tests.
var forgetPage = 5000

// Forget removes a person's personal data and statements (see
// store.Engagement.Forget for what a full forget covers). Statements that
// an LRS may hold cannot be deleted there, so a voiding statement for
// each removed statement is queued in the outbox, whether or not it had
// left the outbox: the forwarder may be posting it while Forget runs; and
// one for each forwarded statement that retention has deleted since, of
// which the store kept the id (store.Engagement.ForwardedIDs). v
// makes them; nil voids under DefaultIRIBase, which an LRS accepts as
// well (the voiding statement names the voided one by id). With
// keepCounts (an analytics opt-out) the person's events stay as anonymous
// counts; otherwise they are deleted.
//
// The voiding statements are queued before the store forgets: once the
// statements are deleted their ids are known nowhere, and a forget whose
// voiding statements failed to be queued afterwards could never withdraw
// them, not even when run again. Queued first, a failure leaves
// everything in place for the next attempt; voiding statements have ids
// derived from the voided one, so queueing them again changes nothing.
// The outbox sends in the order statements were stored, so a statement
// still waiting there reaches the LRS before its voiding statement.
func Forget(ctx context.Context, st ForgetStore, v Voider, user string, keepCounts bool, now time.Time) (store.ForgetResult, error) {
	if v == nil {
		v = &StatementVoider{base: DefaultIRIBase}
	}
	voided := map[string]bool{}
	void := func(ids []string) error {
		voids := make([]store.Statement, 0, len(ids))
		for _, id := range ids {
			if voided[id] {
				continue
			}
			s, err := Stored(v.Void(id, now), "")
			if err != nil {
				return err
			}
			voids = append(voids, s)
		}
		if len(voids) == 0 {
			return nil
		}
		if err := st.AddStatements(ctx, voids); err != nil {
			return fmt.Errorf("queue voiding statements: %w", err)
		}
		for _, id := range ids {
			voided[id] = true
		}
		return nil
	}
	if user != "" {
		f := store.StatementFilter{User: user, Limit: forgetPage}
		for {
			page, err := st.Statements(ctx, f)
			if err != nil {
				return store.ForgetResult{}, fmt.Errorf("list the statements to void: %w", err)
			}
			ids := make([]string, len(page))
			for i, s := range page {
				ids[i] = s.ID
			}
			if err := void(ids); err != nil {
				return store.ForgetResult{}, err
			}
			if len(page) < f.Limit {
				break
			}
			f.After = page[len(page)-1].ID
		}
		for after := ""; ; {
			ids, err := st.ForwardedIDs(ctx, user, after, forgetPage)
			if err != nil {
				return store.ForgetResult{}, fmt.Errorf("list the forwarded statements to void: %w", err)
			}
			if err := void(ids); err != nil {
				return store.ForgetResult{}, err
			}
			if len(ids) < forgetPage {
				break
			}
			after = ids[len(ids)-1]
		}
	}
	res, err := st.Forget(ctx, user, keepCounts)
	if err != nil {
		return res, err
	}
	// Statements stored since they were listed.
	if err := void(res.Statements); err != nil {
		return res, err
	}
	return res, nil
}
