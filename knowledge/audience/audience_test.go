package audience

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // String() of the result
	}{
		{"", "everyone"},
		{"  ", "everyone"},
		{"everyone", "everyone"},
		{"EVERYONE", "everyone"},
		{"group:hr role:admin", "role:admin group:hr"},
		{"group:hr,group:hr, channel:slack/T1/C123", "group:hr channel:slack/T1/C123"},
		{"user:shell/you channel:shell/general", "user:shell/you channel:shell/general"},
	} {
		a, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := a.String(); got != tc.want {
			t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseRefusesBadEntries(t *testing.T) {
	for _, in := range []string{
		"role:boss", "group:", "group:Eng", "friends", "channel:C123", "channel:slack/a/b/c",
		"user:Slack/U1", "everyone:x", "everyone group:hr", "group:hr role:root",
	} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted it", in)
		}
	}
	// Every bad entry is named at once.
	_, err := Parse("role:boss group:OK channel:x")
	for _, want := range []string{"role:boss", "group:OK", "channel"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %q", err, want)
		}
	}
}

// An id pasted by mistake, kilobytes long, is not echoed in full.
func TestParseRefClipsWhatItQuotes(t *testing.T) {
	long := "slack/" + strings.Repeat("U", 5000)
	_, err := ParseRef(long)
	if err == nil {
		t.Fatal("a 5000-byte id was accepted")
	}
	if msg := err.Error(); len(msg) > 300 || !strings.Contains(msg, "part 2") || !strings.Contains(msg, "5000 bytes") {
		t.Errorf("error of %d bytes: %.300s", len(msg), msg)
	}
	// Cut between characters, not inside one (which %q would show as \x..).
	if _, err := ParseRef("x" + strings.Repeat("é", 100)); err == nil || strings.Contains(err.Error(), `\x`) {
		t.Errorf("error %v cuts a character", err)
	}
}

func TestAdmits(t *testing.T) {
	hr := Reader{Platform: "slack", Workspace: "T1", User: "U1", Channel: "D1", Direct: true,
		Membership: Membership{Roles: []string{"learner"}, Groups: []string{"hr"}}}
	outsider := Reader{Platform: "slack", Workspace: "T1", User: "U2", Channel: "D2", Direct: true,
		Membership: Membership{Roles: []string{"learner"}}}
	inHRChannel := Reader{Platform: "slack", Workspace: "T1", User: "U2", Channel: "CHR"}
	inGeneral := hr
	inGeneral.Channel, inGeneral.Direct = "CGEN", false
	inOtherWorkspace := inHRChannel
	inOtherWorkspace.Workspace = "T2"

	a, err := Parse("group:hr channel:slack/T1/CHR user:slack/U9")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		r    Reader
		want bool
	}{
		{"member in a direct message", hr, true},
		{"outsider in a direct message", outsider, false},
		{"anyone in a listed channel", inHRChannel, true},
		{"member in an unlisted channel, read by others", inGeneral, false},
		{"the listed channel id in another workspace", inOtherWorkspace, false},
		{"a listed user in any workspace", Reader{Platform: "slack", Workspace: "T7", User: "U9", Direct: true}, true},
		{"a listed user id on another platform", Reader{Platform: "discord", User: "U9", Direct: true}, false},
	} {
		if got := a.Admits(tc.r); got != tc.want {
			t.Errorf("%s: Admits = %v, want %v", tc.name, got, tc.want)
		}
	}
	every, _ := Parse("")
	if !every.Admits(inGeneral) || !every.Admits(outsider) {
		t.Error("everyone does not admit everyone")
	}
	if (Audience{}).Admits(hr) {
		t.Error("the zero Audience admits someone")
	}
	curators, _ := Parse("role:curator")
	cur := outsider
	cur.Roles = append(cur.Roles, "curator")
	if !curators.Admits(cur) || curators.Admits(outsider) {
		t.Error("role:curator does not tell a curator from a learner")
	}
}

func TestStatic(t *testing.T) {
	s, err := NewStatic("slack/T1/U1=curator|admin, shell/you=leader", "hr=slack/U1|discord/G1/42, eng=slack/T2/U1")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.Membership(t.Context(), "slack", "T1", "U1")
	want := Membership{Roles: []string{"learner", "curator", "admin"}, Groups: []string{"hr"}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("membership = %+v, want %+v", m, want)
	}
	if m, _ := s.Membership(t.Context(), "slack", "T2", "U1"); !reflect.DeepEqual(m.Groups, []string{"hr", "eng"}) || len(m.Roles) != 1 {
		t.Errorf("in workspace T2: %+v, want learner in hr and eng", m)
	}
	if m, _ := s.Membership(t.Context(), "discord", "G1", "7"); len(m.Groups) != 0 || !reflect.DeepEqual(m.Roles, []string{"learner"}) {
		t.Errorf("an unknown person: %+v", m)
	}
	_, err = NewStatic("slack/U1=boss,U2=admin", "HR=slack/U1,ok=nobody")
	for _, want := range []string{"boss", "U2=admin", "HR=", "nobody"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %q", err, want)
		}
	}
}

// FuzzParse: whatever the text, Parse returns an audience or an error,
// and an audience it returns reads back the same from its String.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "everyone", "group:hr role:admin", "channel:slack/T1/C1,user:shell/you", "role:", "group:a:b", "user:a/b/c/d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		a, err := Parse(text)
		if err != nil {
			if !utf8.ValidString(err.Error()) && utf8.ValidString(text) {
				t.Fatalf("error text is not UTF-8: %q", err)
			}
			return
		}
		again, err := Parse(a.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", text, a.String(), err)
		}
		if !reflect.DeepEqual(a, again) {
			t.Fatalf("Parse(%q) = %+v, read back as %+v", text, a, again)
		}
	})
}

func TestStaticMembers(t *testing.T) {
	s, err := NewStatic("", "hr=slack/T1/U1|discord/D2, eng=slack/U3, hr=shell/you|slack/T1/U1")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Members("hr")
	want := []Ref{{Platform: "slack", Workspace: "T1", ID: "U1"}, {Platform: "discord", ID: "D2"}, {Platform: "shell", ID: "you"}}
	if !slices.Equal(got, want) {
		t.Errorf("members of hr = %v, want %v", got, want)
	}
	if got := s.Members("nobody"); got != nil {
		t.Errorf("members of an unknown group = %v", got)
	}
}
