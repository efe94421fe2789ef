package knowledge_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// loadCorpus writes files to a temporary folder and ingests them.
func loadCorpus(t *testing.T, files map[string]string) (*knowledge.Service, *sqlite.Store, string) {
	t.Helper()
	svc, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, files)
	if sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}}); sum.Added != len(files) {
		t.Fatalf("loaded %d documents, want %d", sum.Added, len(files))
	}
	return svc, st, dir
}

// lexicalDocs returns the documents of the store's own lexical ranking for
// query, best first: the order before Lore's fusion, collapsing and
// diversifying.
func lexicalDocs(t *testing.T, st store.Search, query string, k int) []string {
	t.Helper()
	hits, err := st.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Text: query, Terms: analyze.QueryTerms(query)}, k)
	if err != nil {
		t.Fatalf("SearchLexical: %v", err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, h.DocID)
	}
	return out
}

func passageFiles(ps []knowledge.Passage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, path.Base(p.Source))
	}
	return out
}

// vpnTroubleshooting is a long document about VPN certificates whose every
// section matches "vpn certificate" better than any other document does.
const vpnTroubleshooting = `# VPN troubleshooting

## VPN certificate expired

When the VPN certificate expires the VPN client refuses to connect. Renew the
VPN certificate in the certificate manager; the VPN certificate lasts a year.

## VPN certificate not trusted

A VPN certificate that is not trusted means the VPN root certificate is
missing. Install the VPN root certificate from the certificate manager.

## VPN certificate revoked

A revoked VPN certificate blocks the VPN until security issues a new VPN
certificate. Ask for a new VPN certificate in the certificate manager.

## VPN certificate on a new laptop

A new laptop needs its own VPN certificate. Request the VPN certificate in
the certificate manager before the first VPN connection.
`

const lunch = `# Lunch

## Canteen

The canteen serves lunch from noon until two. Vegetarian dishes are marked
green on the menu.
`

// diversityCorpus is vpnTroubleshooting, a short second document that
// matches the query too, and an unrelated one.
var diversityCorpus = map[string]string{
	"vpn-troubleshooting.md": vpnTroubleshooting,
	"certificates.md": `# Certificates

## Which certificates we issue

Security issues certificates for web servers, code signing and the VPN.
Each VPN certificate names an owner who renews it.
`,
	"remote-work.md": "# Remote work\n\n## From home\n\nWork from home on Fridays; connect through the VPN when you need internal tools.\n",
	"lunch.md":       lunch,
}

func TestSearchPrefersSeveralDocuments(t *testing.T) {
	t.Parallel()
	const query = "vpn certificate"
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"other document ranks in the middle by words", diversityCorpus},
		{
			// The second document holds every word of the query, yet it
			// is the last lexical hit; that must not cost it all its
			// lexical evidence.
			name: "other document is the weakest lexical hit",
			files: map[string]string{
				"vpn-troubleshooting.md": vpnTroubleshooting,
				"certificates.md": `# Certificates

## Which certificates we issue

Security issues certificates for web servers, code signing and the VPN.
Each certificate names an owner who renews it.
`,
				"lunch.md": lunch,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, st, _ := loadCorpus(t, tt.files)
			// Precondition: by words alone, the long document's sections
			// fill the top of the ranking, so only diversifying brings
			// the other forward.
			raw := lexicalDocs(t, st, query, 10)
			if len(raw) < 5 || raw[0] != raw[1] || raw[1] != raw[2] || raw[2] != raw[3] || raw[4] == raw[0] {
				t.Fatalf("lexical ranking %v: want the long document's four chunks first, or the test shows nothing", raw)
			}

			ps, err := svc.Search(t.Context(), query, 3, store.Everything)
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			files := passageFiles(ps)
			if len(ps) != 3 {
				t.Fatalf("got %d passages %v, want 3", len(ps), files)
			}
			if files[0] != "vpn-troubleshooting.md" {
				t.Errorf("best passage from %s, want the document that matches best", files[0])
			}
			if ps[0].DocID == ps[1].DocID {
				t.Errorf("the first two passages come from one document (%v), want two documents before a second chunk of one", files)
			}
			for _, p := range ps {
				if path.Base(p.Source) == "lunch.md" {
					t.Errorf("an unrelated document ranks among %v", files)
				}
			}
			for i := 1; i < len(ps); i++ {
				if ps[i].Score > ps[i-1].Score {
					t.Errorf("passage %d scores %.3f, above passage %d's %.3f", i, ps[i].Score, i-1, ps[i-1].Score)
				}
			}
		})
	}
}

func TestSearchCollapsesNearDuplicates(t *testing.T) {
	t.Parallel()
	body := `## Badge access

Your building badge opens the main entrance and the floors of your team
from seven in the morning until eight at night. Report a lost badge to
reception the same day so that it can be blocked; a replacement badge
costs nothing the first time and ten euros after that. Visitors get a
paper badge at reception and must be met there by the person they visit.
`
	tests := []struct {
		name  string
		files map[string]string
	}{
		{
			name: "identical files",
			files: map[string]string{
				"eu/badges.md": "# Badges\n\n" + body,
				"us/badges.md": "# Badges\n\n" + body,
			},
		},
		{
			name: "same text under another title",
			files: map[string]string{
				"badges.md":        "# Badges\n\n" + body,
				"office-badges.md": "# Office badges\n\n" + body,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{
				"parking.md": "# Parking\n\n## Car park\n\nThe car park opens at seven; show your badge at the barrier.\n",
			}
			for name, content := range tt.files {
				files[name] = content
			}
			svc, st, _ := loadCorpus(t, files)
			const query = "lost badge replacement"
			raw := lexicalDocs(t, st, query, 10)
			if len(raw) < 2 || raw[0] == raw[1] {
				t.Fatalf("lexical ranking %v: want both copies at the top, or the test shows nothing", raw)
			}
			ps, err := svc.Search(t.Context(), query, 5, store.Everything)
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			copies := 0
			for _, p := range ps {
				if strings.Contains(p.Text, "replacement badge") {
					copies++
				}
			}
			if copies != 1 {
				t.Errorf("%d copies of the duplicated passage among %v, want 1", copies, passageFiles(ps))
			}
			if len(ps) == 0 || !strings.Contains(ps[0].Text, "replacement badge") {
				t.Errorf("passages %v: want the duplicated passage first", passageFiles(ps))
			}
		})
	}
}

// Passages that share a topic but say different things are not
// duplicates.
func TestSearchKeepsSimilarButDifferentPassages(t *testing.T) {
	t.Parallel()
	svc, _, _ := loadCorpus(t, map[string]string{
		"badges-eu.md": "# Badges in Europe\n\n## Lost badge\n\nReport a lost badge to reception in Berlin; the replacement badge is free the first time.\n",
		"badges-us.md": "# Badges in America\n\n## Lost badge\n\nReport a lost badge to security in Boston; a replacement badge costs twenty dollars.\n",
	})
	ps, err := svc.Search(t.Context(), "lost badge replacement", 5, store.Everything)
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if files := passageFiles(ps); len(files) != 2 {
		t.Errorf("passages %v, want both documents", files)
	}
}

func TestSearchReturnsAtMostK(t *testing.T) {
	t.Parallel()
	// Twelve offices, each described in words of its own, so that no two
	// are near-duplicates.
	offices := []struct{ city, detail string }{
		{"Lisbon", "trams stop outside the riverside entrance"},
		{"Oslo", "the ski storage room sits beside reception"},
		{"Nairobi", "a rooftop garden hosts Friday lunches"},
		{"Osaka", "bicycles park in the underground garage"},
		{"Denver", "mountain views fill the western meeting rooms"},
		{"Dublin", "the library corner lends paperback novels"},
		{"Santiago", "earthquake drills happen every spring"},
		{"Toronto", "an indoor walkway links the subway station"},
		{"Krakow", "the courtyard cafe bakes fresh pastries"},
		{"Auckland", "ferry timetables hang near the lifts"},
		{"Montreal", "bilingual signs guide visitors upstairs"},
		{"Seoul", "quiet pods can be booked for focused work"},
	}
	files := map[string]string{}
	for i, o := range offices {
		files[fmt.Sprintf("office-%02d.md", i)] = fmt.Sprintf(
			"# %s office\n\n## Opening hours\n\nThe %s office opens at %d in the morning; %s.\n", o.city, o.city, 6+i%4, o.detail)
	}
	svc, _, dir := loadCorpus(t, files)
	tests := []struct {
		k, want int
	}{
		{-1, 0},
		{0, 0},
		{1, 1},
		{2, 2},
		{5, 5},
		{12, 12},
		{50, 12},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("k=%d", tt.k), func(t *testing.T) {
			ps, err := svc.Search(t.Context(), "office opening hours", tt.k, store.Everything)
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			if len(ps) != tt.want {
				t.Fatalf("got %d passages, want %d", len(ps), tt.want)
			}
			seen := map[int64]bool{}
			for i, p := range ps {
				if seen[p.ID] {
					t.Errorf("chunk %d returned twice", p.ID)
				}
				seen[p.ID] = true
				if i > 0 && p.Score > ps[i-1].Score {
					t.Errorf("passage %d scores %.3f, above passage %d's %.3f", i, p.Score, i-1, ps[i-1].Score)
				}
				if !strings.HasPrefix(p.Source, filepath.ToSlash(dir)+"/") || p.Title == "" || p.Text == "" {
					t.Errorf("passage %d is not loaded for citing: %+v", i, p.ChunkView)
				}
			}
		})
	}
}

func TestSearchEvidence(t *testing.T) {
	t.Parallel()
	svc, _, _ := loadCorpus(t, diversityCorpus)
	tests := []struct {
		query        string
		wantCoverage func(float64) bool
		desc         string
	}{
		{"vpn certificate", func(c float64) bool { return c == 1 }, "1: the best passage holds every term"},
		{"vpn certificate xylophone", func(c float64) bool { return c > 0 && c < 1 }, "between 0 and 1: one term is in no passage"},
		{"canteen lunch", func(c float64) bool { return c == 1 }, "1: the best passage holds every term"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			ps, err := svc.Search(t.Context(), tt.query, 3, store.Everything)
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			if len(ps) == 0 {
				t.Fatal("no passages")
			}
			if !tt.wantCoverage(ps[0].Coverage) {
				t.Errorf("best passage coverage %.3f, want %s", ps[0].Coverage, tt.desc)
			}
			for i, p := range ps {
				if p.Coverage < 0 || p.Coverage > 1 || math.IsNaN(p.Coverage) {
					t.Errorf("passage %d coverage %v, want 0 to 1", i, p.Coverage)
				}
				if p.Similarity < -1-1e-9 || p.Similarity > 1+1e-9 || math.IsNaN(p.Similarity) {
					t.Errorf("passage %d similarity %v, want a cosine", i, p.Similarity)
				}
			}
			if ps[0].Similarity <= 0 {
				t.Errorf("best passage similarity %.3f, want positive for a matching passage", ps[0].Similarity)
			}
		})
	}
}

func TestSearchEmptyKnowledgeBase(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, knowledge.Options{})
	ps, err := svc.Search(t.Context(), "vpn certificate", 5, store.Everything)
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if len(ps) != 0 {
		t.Errorf("an empty knowledge base returned %d passages", len(ps))
	}
}

// overlapStore reports whether the lexical search ran while the vector
// search was in flight, and can fail either one.
type overlapStore struct {
	*sqlite.Store
	vectorStarted chan struct{}
	overlapped    bool
	lexicalErr    error
	vectorErr     error
	lexicalCtxErr error // the lexical search's context error once it returned
}

func (s *overlapStore) SearchVector(ctx context.Context, q store.VectorQuery, k int) ([]store.Hit, error) {
	close(s.vectorStarted)
	if s.vectorErr != nil {
		return nil, s.vectorErr
	}
	return s.Store.SearchVector(ctx, q, k)
}

func (s *overlapStore) SearchLexical(ctx context.Context, q store.LexicalQuery, k int) ([]store.Hit, error) {
	// Wait for the vector search to begin; a search that ran the lists
	// one after the other would never start it, and ends here instead.
	select {
	case <-s.vectorStarted:
		s.overlapped = true
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
	}
	if s.vectorErr != nil {
		<-ctx.Done() // a failed vector search cancels this one
		s.lexicalCtxErr = ctx.Err()
		return nil, ctx.Err()
	}
	if s.lexicalErr != nil {
		return nil, s.lexicalErr
	}
	return s.Store.SearchLexical(ctx, q, k)
}

// The lexical and vector lists are searched at once, and a failure of
// either fails the search, naming which, and stops the other.
func TestSearchRunsBothListsAtOnce(t *testing.T) {
	files := map[string]string{
		"leave.md": "# Leave\n\nAnnual leave is 27 days a year, plus public holidays.",
		"vpn.md":   "# VPN\n\nThe VPN is required when you work off site.",
	}
	_, plain, _ := loadCorpus(t, files)
	open := func(st *overlapStore) *knowledge.Service {
		st.Store = plain
		st.vectorStarted = make(chan struct{})
		return knowledge.New(st, knowledge.Options{})
	}

	st := &overlapStore{}
	ps, err := open(st).Search(t.Context(), "How many days of annual leave?", 3, store.Everything)
	if err != nil || len(ps) == 0 || path.Base(ps[0].Source) != "leave.md" {
		t.Fatalf("search: %v, %+v; want leave.md first", err, ps)
	}
	if !st.overlapped {
		t.Fatal("the lexical search ran before the vector search began, not beside it")
	}

	st = &overlapStore{lexicalErr: errors.New("index unreadable")}
	if _, err := open(st).Search(t.Context(), "annual leave", 3, store.Everything); err == nil || !strings.Contains(err.Error(), "lexical search: index unreadable") {
		t.Fatalf("search with a failing lexical list: %v", err)
	}

	st = &overlapStore{vectorErr: fmt.Errorf("%w: database gone", store.ErrUnavailable)}
	_, err = open(st).Search(t.Context(), "annual leave", 3, store.Everything)
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(st.lexicalCtxErr, context.Canceled) {
		t.Fatalf("search with a failing vector list: %v (lexical search ended with %v, want it cancelled)", err, st.lexicalCtxErr)
	}
}
