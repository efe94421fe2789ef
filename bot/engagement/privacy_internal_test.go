package engagement

import (
	"fmt"
	"reflect"
	"testing"
)

func groupOf(name string, people int) *groupAcc {
	g := &groupAcc{name: name, people: map[string]struct{}{}, questions: people * 2}
	for i := range people {
		g.people[fmt.Sprintf("%s-%d", name, i)] = struct{}{}
	}
	return g
}

func TestSuppress(t *testing.T) {
	cases := []struct {
		name   string
		groups []*groupAcc
		want   []Group
	}{
		{"all large", []*groupAcc{groupOf("a", 6), groupOf("b", 5)},
			[]Group{{"a", 6, 12, 0}, {"b", 5, 10, 0}}},
		{"small groups merge into Other", []*groupAcc{groupOf("a", 9), groupOf("b", 3), groupOf("c", 2)},
			[]Group{{"a", 9, 18, 0}, {OtherGroup, 5, 10, 0}}},
		// One small group alone would be Other with 2 people, and a total
		// minus a would give it away: the smallest visible group joins.
		{"complementary suppression", []*groupAcc{groupOf("a", 9), groupOf("b", 6), groupOf("c", 2)},
			[]Group{{"a", 9, 18, 0}, {OtherGroup, 8, 16, 0}}},
		{"everything too small is hidden", []*groupAcc{groupOf("a", 2), groupOf("b", 2)}, nil},
		{"one group too small is hidden", []*groupAcc{groupOf("a", 4)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := suppress(c.groups, 5); !reflect.DeepEqual(got, c.want) {
				t.Errorf("suppress = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestSuppressCountsPeopleOnce(t *testing.T) {
	// The same two people in three small channels are still two people.
	var gs []*groupAcc
	for _, n := range []string{"x", "y", "z"} {
		gs = append(gs, &groupAcc{name: n, people: map[string]struct{}{"p1": {}, "p2": {}}})
	}
	gs = append(gs, groupOf("big", 7))
	got := suppress(gs, 5)
	if len(got) != 1 || got[0].Name != OtherGroup || got[0].People != 9 {
		t.Errorf("suppress = %+v, want everything merged into one Other of 9 people", got)
	}
}

func TestCheckK(t *testing.T) {
	if k, err := CheckK(0); k != DefaultK || err != nil {
		t.Errorf("CheckK(0) = %d, %v", k, err)
	}
	if _, err := CheckK(2); err == nil {
		t.Error("CheckK(2) accepted a threshold below 3")
	}
	if k, err := CheckK(3); k != 3 || err != nil {
		t.Errorf("CheckK(3) = %d, %v", k, err)
	}
}
