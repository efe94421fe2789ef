package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/lorehq/lore/store"
)

var audienceCases = []testCase{
	{"CollectionSettings", testCollectionSettings},
	{"ScopedSearchFiltersInside", testScopedSearchFiltersInside},
	{"DraftsAreNotSearched", testDraftsAreNotSearched},
	{"PublishUnknownDocument", testPublishUnknownDocument},
}

func testCollectionSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	if cs, err := s.ListCollections(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("collections of an empty store = %+v, %v", cs, err)
	}
	for _, c := range []store.Collection{
		{Name: "salaries", Audience: "group:hr role:admin", Approval: true},
		{Name: "handbook"},
		{Name: "salaries", Audience: "group:hr"}, // replaces the first
	} {
		if err := s.SetCollection(ctx, c); err != nil {
			t.Fatalf("set collection %+v: %v", c, err)
		}
	}
	cs, err := s.ListCollections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Name != "handbook" || cs[1].Name != "salaries" ||
		cs[1].Audience != "group:hr" || cs[1].Approval || cs[0].Audience != "" || cs[1].UpdatedAt.IsZero() {
		t.Errorf("collections = %+v, want handbook then salaries (group:hr, no approval)", cs)
	}
	for _, bad := range []store.Collection{{Name: ""}, {Name: "x\x00y"}, {Name: "ok", Audience: "group:\xff"}} {
		if err := s.SetCollection(ctx, bad); !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("set collection %q: err = %v, want ErrInvalidInput", bad.Name, err)
		}
	}
}

// seedTwoAudiences stores 60 secret chunks that match the test query best,
// by words and by vector, and 5 public ones that match it less well: more
// secret chunks than an approximate index's first candidate list holds.
func seedTwoAudiences(t *testing.T, s store.Store) {
	t.Helper()
	for d := range 3 {
		doc := newDoc(fmt.Sprintf("secret%d", d), "secret")
		var chunks []store.Chunk
		for i := range 20 {
			v := make([]float32, Dim)
			v[0], v[1], v[2+d] = 1, 0.002*float32(i), 0.01
			chunks = append(chunks, newChunk(i, fmt.Sprintf("Salary band %d-%d.", d, i), []string{"salari", "band", "salari"}, v))
		}
		MustReplace(t, s, doc, chunks)
	}
	for p := range 5 {
		v := make([]float32, Dim)
		v[0], v[5], v[6] = 0.5, 1, 0.1*float32(p)
		mustReplace(t, s, newDoc(fmt.Sprintf("public%d", p), "public"),
			newChunk(0, fmt.Sprintf("Salary is paid monthly (%d).", p), []string{"salari", "paid", "month", "day", "week"}, v))
	}
}

func scopedSearches(t *testing.T, s store.Store, scope store.Scope, k int) (lex, vec []store.Hit) {
	t.Helper()
	lex, err := s.SearchLexical(t.Context(), store.LexicalQuery{Text: "salary band", Terms: []string{"salari", "band"}, Scope: scope}, k)
	if err != nil {
		t.Fatalf("lexical search: %v", err)
	}
	vec, err = s.SearchVector(t.Context(), store.VectorQuery{Vector: basis(0), Scope: scope}, k)
	if err != nil {
		t.Fatalf("vector search: %v", err)
	}
	return lex, vec
}

func docsOf(hits []store.Hit) []string {
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.DocID)
	}
	return ids
}

func testScopedSearchFiltersInside(t *testing.T, s store.Store) {
	seedTwoAudiences(t, s)
	isPublic := func(id string) bool { return len(id) > 6 && id[:6] == "public" }

	// Unscoped, the secret chunks fill the first results.
	lex, vec := scopedSearches(t, s, store.Everything, 5)
	for name, hits := range map[string][]store.Hit{"lexical": lex, "vector": vec} {
		if len(hits) != 5 || isPublic(hits[0].DocID) {
			t.Errorf("%s search of everything = %v, want secret chunks first", name, docsOf(hits))
		}
	}
	// Kept out of the secret collection, a reader gets the 5 public
	// chunks, k of them, and no secret one.
	for _, scope := range []store.Scope{
		{All: true, Except: []string{"secret"}},
		{Collections: []string{"public", "elsewhere"}},
		{Collections: []string{"public", "secret"}, Except: []string{"secret"}},
	} {
		lex, vec := scopedSearches(t, s, scope, 5)
		for name, hits := range map[string][]store.Hit{"lexical": lex, "vector": vec} {
			if len(hits) != 5 || !slices.ContainsFunc(hits, func(h store.Hit) bool { return isPublic(h.DocID) }) {
				t.Errorf("%s search in %+v = %v, want the 5 public chunks", name, scope, docsOf(hits))
			}
			for _, h := range hits {
				if !isPublic(h.DocID) {
					t.Errorf("%s search in %+v returned %s, outside the scope", name, scope, h.DocID)
				}
			}
		}
	}
	// The secret collection alone, and a scope that admits nothing.
	lex, vec = scopedSearches(t, s, store.Scope{Collections: []string{"secret"}}, 8)
	for name, hits := range map[string][]store.Hit{"lexical": lex, "vector": vec} {
		if len(hits) != 8 || slices.ContainsFunc(hits, func(h store.Hit) bool { return isPublic(h.DocID) }) {
			t.Errorf("%s search of the secret collection = %v, want 8 secret chunks", name, docsOf(hits))
		}
	}
	for _, scope := range []store.Scope{{}, {Collections: []string{"nowhere"}}, {All: true, Except: []string{"secret", "public"}}} {
		lex, vec = scopedSearches(t, s, scope, 5)
		if len(lex)+len(vec) != 0 {
			t.Errorf("search in %+v found %v and %v, want nothing", scope, docsOf(lex), docsOf(vec))
		}
	}
}

func testDraftsAreNotSearched(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.SetCollection(ctx, store.Collection{Name: "reviewed", Approval: true}); err != nil {
		t.Fatal(err)
	}
	mustReplace(t, s, newDoc("open", "handbook"),
		newChunk(0, "Expenses are paid monthly.", []string{"expens", "paid", "month"}, basis(1)))
	mustReplace(t, s, newDoc("proposal", "reviewed"),
		newChunk(0, "Expenses are paid weekly from now on.", []string{"expens", "paid", "weekli"}, basis(0)),
		newChunk(1, "Weekly expenses need a receipt.", []string{"weekli", "expens", "receipt"}, basis(0)))
	status := func(id string) string {
		t.Helper()
		d, err := s.Document(ctx, id)
		if err != nil {
			t.Fatalf("document %s: %v", id, err)
		}
		return d.Status
	}
	if got := status("proposal"); got != store.StatusDraft {
		t.Fatalf("a new document of a collection that requires approval is %q, want a draft", got)
	}
	if got := status("open"); got != store.StatusPublished {
		t.Fatalf("a document of a collection without settings is %q, want published", got)
	}
	found := func() []string {
		t.Helper()
		lex, err := s.SearchLexical(ctx, store.LexicalQuery{Terms: []string{"weekli", "expens"}, Scope: store.Everything}, 10)
		if err != nil {
			t.Fatal(err)
		}
		vec, err := s.SearchVector(ctx, store.VectorQuery{Vector: basis(0), Scope: store.Everything}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return append(docsOf(lex), docsOf(vec)...)
	}
	if got := found(); slices.Contains(got, "proposal") || !slices.Contains(got, "open") {
		t.Fatalf("searches found %v, want the published document and never the draft", got)
	}
	drafts, err := s.Drafts(ctx)
	if err != nil || len(drafts) != 1 || drafts[0].ID != "proposal" || drafts[0].Status != store.StatusDraft {
		t.Fatalf("drafts = %+v, %v; want the proposal", drafts, err)
	}
	// Re-ingesting a draft keeps it a draft.
	mustReplace(t, s, newDoc("proposal", "reviewed"),
		newChunk(0, "Expenses are paid weekly from May.", []string{"expens", "paid", "weekli", "may"}, basis(0)))
	if got := found(); slices.Contains(got, "proposal") || status("proposal") != store.StatusDraft {
		t.Fatalf("after a re-ingest the draft is %q and searches found %v", status("proposal"), got)
	}

	if err := s.PublishDocument(ctx, "proposal"); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if err := s.PublishDocument(ctx, "proposal"); err != nil {
		t.Fatalf("publishing twice: %v", err)
	}
	if got := status("proposal"); got != store.StatusPublished {
		t.Fatalf("after approval the document is %q", got)
	}
	if got := found(); !slices.Contains(got, "proposal") {
		t.Fatalf("after approval searches found %v, want the proposal", got)
	}
	if views := chunksOf(t, s, "proposal"); len(views) != 1 || views[0].Text != "Expenses are paid weekly from May." {
		t.Errorf("published chunks = %+v, want the one chunk of the last version", views)
	}
	if drafts, err := s.Drafts(ctx); err != nil || len(drafts) != 0 {
		t.Errorf("drafts after approval = %+v, %v", drafts, err)
	}
	// A published document stays published when re-ingested, and an
	// explicit status is kept as written.
	mustReplace(t, s, newDoc("proposal", "reviewed"),
		newChunk(0, "Expenses are paid weekly.", []string{"expens", "paid", "weekli"}, basis(0)))
	if got := status("proposal"); got != store.StatusPublished {
		t.Errorf("a re-ingested published document is %q", got)
	}
	d := newDoc("proposal", "reviewed")
	d.Status = store.StatusDraft
	mustReplace(t, s, d, newChunk(0, "Expenses are paid weekly.", []string{"expens", "paid", "weekli"}, basis(0)))
	if got := found(); status("proposal") != store.StatusDraft || slices.Contains(got, "proposal") {
		t.Errorf("written as a draft, the document is %q and searches found %v", status("proposal"), got)
	}
	d.Status = "pending"
	if err := s.ReplaceDocument(ctx, d, nil); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("status %q: err = %v, want ErrInvalidInput", d.Status, err)
	}
}

func testPublishUnknownDocument(t *testing.T, s store.Store) {
	if err := s.PublishDocument(t.Context(), "nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("publish an unknown document: err = %v, want ErrNotFound", err)
	}
}
