package knowledge_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/postgres"
	"github.com/lorehq/lore/store/sqlite"
	"github.com/lorehq/lore/store/storetest"
)

// backends opens a fresh store of each kind: SQLite in a temporary file,
// PostgreSQL in a schema of its own, dropped when the test ends.
var backends = map[string]func(t *testing.T) knowledge.Store{
	"sqlite": func(t *testing.T) knowledge.Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
	"postgres": func(t *testing.T) knowledge.Store {
		url := storetest.PostgresURL(t)
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "lore_knowledge_test_" + hex.EncodeToString(b)
		st, err := postgres.Open(t.Context(), url, postgres.Options{Schema: schema, Migrate: true})
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

// Two audiences: the handbook is everyone's; payroll is for the hr group
// and the hr channel. Reviewed needs approval, so its document is a draft.
var (
	handbookFiles = fstest.MapFS{
		"pay-day.md":  {Data: []byte("# Pay day\n\nSalaries are paid on the 25th of each month, by bank transfer.\n")},
		"holidays.md": {Data: []byte("# Holidays\n\nEveryone gets 27 days of paid annual leave per year.\n")},
	}
	payrollFiles = fstest.MapFS{
		"salary-bands.md": {Data: []byte("# Salary bands\n\nThe salary band of a senior engineer is 90,000 to 110,000 euros a year. Salary bands are reviewed each March.\n")},
	}
	reviewedFiles = fstest.MapFS{
		"bonus.md": {Data: []byte("# Annual bonus\n\nThe annual bonus is ten percent of the salary, paid in December.\n")},
	}
)

const payrollAudience = "group:hr channel:slack/T1/CHR"

func seedAudiences(t *testing.T, st knowledge.Store) *knowledge.Service {
	t.Helper()
	ctx := t.Context()
	for _, c := range []store.Collection{{Name: "payroll", Audience: payrollAudience}, {Name: "reviewed", Approval: true}} {
		if err := st.SetCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	svc := knowledge.New(st, knowledge.Options{})
	for coll, files := range map[string]fstest.MapFS{"handbook": handbookFiles, "payroll": payrollFiles, "reviewed": reviewedFiles} {
		if _, err := svc.IngestFS(ctx, files, coll, coll); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}

var (
	hrMember = audience.Reader{Platform: "slack", Workspace: "T1", User: "U1", Channel: "D1", Direct: true,
		Membership: audience.Membership{Roles: []string{"learner"}, Groups: []string{"hr"}}}
	outsider = audience.Reader{Platform: "slack", Workspace: "T1", User: "U2", Channel: "D2", Direct: true,
		Membership: audience.Membership{Roles: []string{"learner"}}}
	inHRChannel = audience.Reader{Platform: "slack", Workspace: "T1", User: "U2", Channel: "CHR"}
	hrInGeneral = audience.Reader{Platform: "slack", Workspace: "T1", User: "U1", Channel: "CGENERAL",
		Membership: audience.Membership{Roles: []string{"learner"}, Groups: []string{"hr"}}}
)

const salaryQuestion = "What is the salary band of a senior engineer?"

func passageSources(ps []knowledge.Passage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Source)
	}
	return out
}

func cited(a knowledge.Answer) []string {
	var out []string
	for _, c := range a.Citations {
		out = append(out, c.Source)
	}
	return out
}

// TestAudiencesInRetrieval proves, on both stores, that search and answers
// never return or cite a chunk whose audience excludes the asker or the
// channel, and do for those it admits.
func TestAudiencesInRetrieval(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			svc := seedAudiences(t, st)
			ctx := t.Context()
			const restricted = "payroll/salary-bands.md"
			for _, tc := range []struct {
				name   string
				reader audience.Reader
				limit  []string
				admit  bool
			}{
				{"hr member in a direct message", hrMember, nil, true},
				{"anyone in the hr channel", inHRChannel, nil, true},
				{"outsider in a direct message", outsider, nil, false},
				{"hr member in a channel others read", hrInGeneral, nil, false},
				{"hr member where the channel allows the handbook only", hrMember, []string{"handbook"}, false},
				{"hr member where the channel allows payroll", hrMember, []string{"payroll"}, true},
			} {
				scope, err := svc.Scope(ctx, tc.reader, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				ps, err := svc.Search(ctx, salaryQuestion, 5, scope)
				if err != nil {
					t.Fatal(err)
				}
				ans, err := svc.AskWith(ctx, knowledge.AskRequest{Question: salaryQuestion, Scope: scope})
				if err != nil {
					t.Fatal(err)
				}
				if got := slices.Contains(passageSources(ps), restricted); got != tc.admit {
					t.Errorf("%s: search returned %v; restricted document found = %v, want %v", tc.name, passageSources(ps), got, tc.admit)
				}
				if got := slices.Contains(cited(ans), restricted); got != tc.admit {
					t.Errorf("%s: answer %q cites %v; restricted document cited = %v, want %v", tc.name, ans.Text, cited(ans), got, tc.admit)
				}
				if !tc.admit && strings.Contains(ans.Text, "110,000") {
					t.Errorf("%s: the answer quotes the restricted document: %q", tc.name, ans.Text)
				}
				if !tc.admit && slices.Equal(tc.limit, nil) && len(ps) == 0 {
					t.Errorf("%s: the restricted document left no passage at all; the allowed ones must still come back", tc.name)
				}
			}
		})
	}
}

// TestDraftsNeverAnswered: a document of a collection that requires
// approval is answered from by nobody until it is approved.
func TestDraftsNeverAnswered(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			svc := seedAudiences(t, st)
			ctx := t.Context()
			const question, draft = "How much is the annual bonus?", "reviewed/bonus.md"
			ask := func() knowledge.Answer {
				t.Helper()
				ans, err := svc.AskWith(ctx, knowledge.AskRequest{Question: question, Scope: store.Everything})
				if err != nil {
					t.Fatal(err)
				}
				return ans
			}
			if ans := ask(); slices.Contains(cited(ans), draft) || strings.Contains(ans.Text, "ten percent") {
				t.Fatalf("a draft was answered from: %q citing %v", ans.Text, cited(ans))
			}
			drafts, err := st.Drafts(ctx)
			if err != nil || len(drafts) != 1 || drafts[0].Source != draft {
				t.Fatalf("drafts = %+v, %v; want the bonus document", drafts, err)
			}
			if err := st.PublishDocument(ctx, drafts[0].ID); err != nil {
				t.Fatal(err)
			}
			if ans := ask(); !ans.Confident || !slices.Contains(cited(ans), draft) {
				t.Fatalf("after approval the answer %q cites %v, want %s", ans.Text, cited(ans), draft)
			}
		})
	}
}
