package curation_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/curation"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// registry records what "add" registered and queued, in a real store.
type registry struct {
	st     *sqlite.Store
	mu     sync.Mutex
	queued []string
	fail   error
}

func (r *registry) AddSource(ctx context.Context, src store.Source) error {
	return r.st.AddSource(ctx, src)
}
func (r *registry) QueueSync(_ context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.queued = append(r.queued, name)
	return nil
}

type auditEntry struct{ actor, action, target, detail string }

type auditor struct {
	mu      sync.Mutex
	entries []auditEntry
}

func (a *auditor) Audit(_ context.Context, actor, action, target, detail string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, auditEntry{actor, action, target, detail})
	return nil
}

func (a *auditor) actions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.entries {
		out = append(out, e.action+" "+e.target+" by "+e.actor)
	}
	return out
}

// reader serves suggested URLs from a map, or an error; moved are the
// URLs that redirect, to where.
type reader struct {
	pages map[string]ingest.Parsed
	moved map[string]string
	err   error
}

func (r reader) ReadURL(_ context.Context, url string) (ingest.Parsed, string, error) {
	if r.err != nil {
		return ingest.Parsed{}, "", r.err
	}
	if to, ok := r.moved[url]; ok {
		url = to
	}
	p, ok := r.pages[url]
	if !ok {
		return ingest.Parsed{}, "", &fetch.StatusError{URL: url, Code: 404}
	}
	return p, url, nil
}

type bundle struct {
	st    *sqlite.Store
	k     *knowledge.Service
	svc   *curation.Service
	reg   *registry
	audit *auditor
	now   time.Time
}

const (
	curator = "UCUR"
	admin   = "UADM"
	learner = "ULRN"
)

func msgFrom(user, text string) bot.Message {
	return bot.Message{Platform: "slack", Workspace: "T1", Channel: "D1", Direct: true, User: user, Text: text}
}

func setup(t *testing.T, edit func(*curation.Config)) *bundle {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dir, err := audience.NewStatic("slack/T1/"+curator+"=curator, slack/T1/"+admin+"=admin", "")
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{st: st, k: knowledge.New(st, knowledge.Options{}), reg: &registry{st: st}, audit: &auditor{}, now: testNow}
	n := 0
	cfg := curation.Config{
		Store: st, Roles: curation.DirectoryRoles{Directory: dir}, Events: st, Sources: b.reg, Index: b.k,
		Reader: reader{pages: map[string]ingest.Parsed{
			"https://blog.example.com/vpn": {Title: "Setting up the VPN", Chunks: []ingest.Piece{{Text: "Install the client, then sign in with your badge."}}},
		}},
		Auditor: b.audit, Clock: func() time.Time { return b.now }, Logger: slog.New(slog.DiscardHandler),
		NewID: func() string { n++; return fmt.Sprintf("id-%d", n) },
	}
	if edit != nil {
		edit(&cfg)
	}
	b.svc, err = curation.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *bundle) run(t *testing.T, user, text string) (bot.Reply, bool) {
	t.Helper()
	cmd, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	return b.svc.HandleCommand(t.Context(), msgFrom(user, text), strings.ToLower(cmd), rest)
}

func (b *bundle) must(t *testing.T, user, text string) string {
	t.Helper()
	r, ok := b.run(t, user, text)
	if !ok {
		t.Fatalf("%q was not taken as a command", text)
	}
	if !r.Private {
		t.Errorf("%q: the reply is not private: %q", text, r.Text)
	}
	return r.Text
}

// Every curator command refuses a learner plainly and does nothing; a
// curator and an admin may use them.
func TestCuratorCommandsCheckTheRole(t *testing.T) {
	b := setup(t, nil)
	for _, cmd := range []string{"sources", "add https://wiki.example.com/leave", "gaps", "approve", "approve abc123"} {
		got := b.must(t, learner, cmd)
		if !strings.HasPrefix(got, "Only curators can ") {
			t.Errorf("%s by a learner: %q", cmd, got)
		}
	}
	if list, _ := b.st.ListSources(t.Context()); len(list) != 0 {
		t.Errorf("a learner's add registered %+v", list)
	}
	for _, who := range []string{curator, admin} {
		if got := b.must(t, who, "sources"); strings.Contains(got, "Only curators") {
			t.Errorf("%s refused: %q", who, got)
		}
	}
	if len(b.audit.actions()) != 0 {
		t.Errorf("audited %v", b.audit.actions())
	}
}

// A command word followed by what reads as a question is left to be
// answered.
func TestQuestionsStartingWithCommandWordsAreNotCommands(t *testing.T) {
	b := setup(t, nil)
	for _, text := range []string{"add a printer to my laptop?", "sources of truth for pricing", "gaps in the fence?", "approve expenses how?", "approve my holiday request please"} {
		if r, ok := b.run(t, learner, text); ok {
			t.Errorf("%q taken as a command: %q", text, r.Text)
		}
	}
}

func TestAddRegistersAndQueuesTheFirstSync(t *testing.T) {
	b := setup(t, nil)
	got := b.must(t, curator, "add https://wiki.example.com/hr/Leave-Policy handbook")
	if !strings.Contains(got, "first sync is queued") {
		t.Fatalf("reply %q", got)
	}
	src, err := b.st.Source(t.Context(), "wiki-example-com-hr-leave-policy")
	if err != nil {
		t.Fatal(err)
	}
	if src.Kind != store.SourceURL || src.Collection != "handbook" || src.Owner != "slack/T1/"+curator || src.Every != 24*time.Hour ||
		src.Location != "https://wiki.example.com/hr/Leave-Policy" {
		t.Errorf("source %+v", src)
	}
	// The same address again gets a name of its own.
	b.must(t, curator, "add https://wiki.example.com/hr/Leave-Policy")
	if _, err := b.st.Source(t.Context(), "wiki-example-com-hr-leave-policy-2"); err != nil {
		t.Errorf("second source: %v", err)
	}
	b.must(t, admin, "add <https://news.example.com/feed.xml|news.example.com/feed.xml>")
	if src, _ := b.st.Source(t.Context(), "news-example-com-feed-xml"); src.Kind != store.SourceFeed {
		t.Errorf("a feed's address gave kind %q", src.Kind)
	}
	b.must(t, curator, "add site https://intranet.example.com/it/ it")
	if src, _ := b.st.Source(t.Context(), "intranet-example-com-it"); src.Kind != store.SourceSite || src.Collection != "it" {
		t.Errorf("add site gave %+v", src)
	}
	if !slices.Equal(b.reg.queued, []string{"wiki-example-com-hr-leave-policy", "wiki-example-com-hr-leave-policy-2", "news-example-com-feed-xml", "intranet-example-com-it"}) {
		t.Errorf("queued %v", b.reg.queued)
	}
	want := []string{
		"source.add wiki-example-com-hr-leave-policy by slack/T1/" + curator,
		"source.add wiki-example-com-hr-leave-policy-2 by slack/T1/" + curator,
		"source.add news-example-com-feed-xml by slack/T1/" + admin,
		"source.add intranet-example-com-it by slack/T1/" + curator,
	}
	if !slices.Equal(b.audit.actions(), want) {
		t.Errorf("audit %v, want %v", b.audit.actions(), want)
	}
}

func TestAddRefusesBadInputAtOnce(t *testing.T) {
	b := setup(t, nil)
	for text, want := range map[string]string{
		"add ftp://files.example.com/a":            "`http` or `https`",
		"add file:///etc/passwd":                   "`http` or `https`",
		"add https://bob:secret@wiki.example.com/": "without a user name or password",
		"add https://wiki.example.com/ bad/name":   "collection name",
	} {
		got := b.must(t, curator, text)
		if !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
			t.Errorf("%s: %q, want %q", text, got, want)
		}
		if strings.Contains(got, "secret") {
			t.Errorf("%s: the password is echoed: %q", text, got)
		}
	}
	if list, _ := b.st.ListSources(t.Context()); len(list) != 0 {
		t.Errorf("registered %+v", list)
	}
	// A queue that is not running still registers the source, and says
	// how to sync it.
	b.reg.fail = errors.New("the job queue is not running yet")
	got := b.must(t, curator, "add https://wiki.example.com/travel")
	if !strings.Contains(got, "lore sources sync wiki-example-com-travel") {
		t.Errorf("reply %q", got)
	}
}

// Text from sources and documents cannot notify anyone or disguise a
// link when it is quoted in a reply.
func TestRepliesDefuseDocumentText(t *testing.T) {
	b := setup(t, nil)
	ctx := t.Context()
	if err := b.st.AddSource(ctx, store.Source{Name: "wiki", Kind: store.SourceURL, Location: "https://wiki.example.com/", Collection: "default"}); err != nil {
		t.Fatal(err)
	}
	if err := b.st.RecordSync(ctx, "wiki", store.SyncRecord{Status: store.SourceStatus{LastSync: testNow,
		LastError: "boom <!channel> @here <@U999> [click](https://evil.example.com)\n`code`"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.st.SetCollection(ctx, store.Collection{Name: "proposals", Approval: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.k.IngestFS(ctx, fstest.MapFS{"x.md": {Data: []byte("# Hi <!here> @everyone [cheap](https://evil.example.com)\n\nSome text about travel.\n")}}, "proposals", "p"); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{b.must(t, curator, "sources"), b.must(t, curator, "approve")} {
		for _, bad := range []string{"<!channel>", "<!here>", "@here", "@everyone", "<@U999>", "](", "`code`"} {
			if strings.Contains(text, bad) {
				t.Errorf("reply holds %q: %q", bad, text)
			}
		}
		if strings.Contains(text, "\n`code") {
			t.Errorf("a new line from the document broke the list: %q", text)
		}
	}
}

func TestGapsListsUnansweredQuestions(t *testing.T) {
	b := setup(t, nil)
	if got := b.must(t, curator, "gaps"); !strings.Contains(got, "No content gaps") {
		t.Errorf("empty gaps: %q", got)
	}
	for i, q := range []string{"How do I expense a taxi?", "how do I expense a taxi", "Where is the <!here> parking?"} {
		if err := b.st.RecordEvent(t.Context(), store.Event{ID: fmt.Sprint("a", i), Time: testNow, Kind: store.EventAnswer, Question: q, User: "U1", Platform: "slack"}); err != nil {
			t.Fatal(err)
		}
	}
	got := b.must(t, curator, "gaps")
	if !strings.Contains(got, "2× how do I expense a taxi") || !strings.Contains(got, "1× Where is the ‹!here> parking?") {
		t.Errorf("gaps: %q", got)
	}
}

func TestApproveListsAndPublishesDrafts(t *testing.T) {
	b := setup(t, nil)
	ctx := t.Context()
	if got := b.must(t, curator, "approve"); !strings.Contains(got, "No drafts") {
		t.Errorf("no drafts: %q", got)
	}
	b.must(t, learner, "suggest The VPN needs the new client since November.")
	b.must(t, learner, "suggest <https://blog.example.com/vpn>")
	drafts, _ := b.st.Drafts(ctx)
	if len(drafts) != 2 {
		t.Fatalf("drafts %+v", drafts)
	}
	list := b.must(t, curator, "approve")
	for _, d := range drafts {
		if !strings.Contains(list, d.ID) || !strings.Contains(list, "by slack/T1/"+learner) {
			t.Errorf("listing %q lacks %s by its suggester", list, d.ID)
		}
	}
	if got := b.must(t, curator, "approve "+drafts[0].ID); !strings.Contains(got, "Published") {
		t.Errorf("approve by id: %q", got)
	}
	if got := b.must(t, curator, "approve https://blog.example.com/vpn"); !strings.Contains(got, "Published") {
		t.Errorf("approve by source: %q", got)
	}
	if left, _ := b.st.Drafts(ctx); len(left) != 0 {
		t.Errorf("drafts left %+v", left)
	}
	if got := b.must(t, curator, "approve "+drafts[0].ID); !strings.Contains(got, "already published") {
		t.Errorf("approving again: %q", got)
	}
	if got := b.must(t, curator, "approve nosuchdoc"); !strings.Contains(got, "There is no document `nosuchdoc`") {
		t.Errorf("unknown: %q", got)
	}
	n := 0
	for _, a := range b.audit.actions() {
		if strings.HasPrefix(a, curation.AuditApprove) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("audit %v", b.audit.actions())
	}
}

// A suggestion is a draft in the suggestions collection, whatever its
// approval rule, credited to the suggester; nobody is answered from it.
func TestSuggestTextIsADraftCreditedToTheSuggester(t *testing.T) {
	b := setup(t, nil)
	ctx := t.Context()
	got := b.must(t, learner, "suggest Parking passes\nAsk reception for a parking pass; they cost 5 euros a month.")
	if !strings.Contains(got, "A curator will review it") {
		t.Errorf("reply %q", got)
	}
	drafts, _ := b.st.Drafts(ctx)
	if len(drafts) != 1 {
		t.Fatalf("drafts %+v", drafts)
	}
	d := drafts[0]
	if d.Collection != "suggestions" || d.Owner != "slack/T1/"+learner || d.Title != "Parking passes" || d.Status != store.StatusDraft {
		t.Errorf("draft %+v", d)
	}
	ans, err := b.k.AskWith(ctx, knowledge.AskRequest{Question: "How much does a parking pass cost?", Scope: store.Everything})
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Citations) != 0 {
		t.Errorf("a draft was cited: %+v", ans.Citations)
	}
	if got := b.must(t, admin, "suggest Parking passes\nAsk reception for a parking pass; they cost 5 euros a month."); !strings.Contains(got, "already suggested") {
		t.Errorf("the same text again: %q", got)
	}
	events, _ := b.st.Events(ctx, store.EventFilter{Kind: curation.EventSuggestion})
	if len(events) != 1 || events[0].User != learner || events[0].Ref != d.ID {
		t.Errorf("events %+v", events)
	}
	if a := b.audit.actions(); len(a) != 1 || a[0] != curation.AuditSuggest+" "+d.ID+" by slack/T1/"+learner {
		t.Errorf("audit %v", a)
	}
}

func TestSuggestRefusesBadInput(t *testing.T) {
	b := setup(t, func(c *curation.Config) { c.SuggestionsPerDay = 2 })
	for text, want := range map[string]string{
		"suggest":                                  "`suggest URL`",
		"suggest   ?! ...":                         "is empty",
		"suggest caf\xc3 au lait":                  "isn't valid text",
		"suggest " + long():                        "too long",
		"suggest ftp://x.example.com/a":            "`http` or `https`",
		"suggest https://blog.example.com/missing": "HTTP 404",
	} {
		if got := b.must(t, learner, text); !strings.Contains(got, want) {
			t.Errorf("%.40q: %q, want %q", text, got, want)
		}
	}
	if d, _ := b.st.Drafts(t.Context()); len(d) != 0 {
		t.Fatalf("drafts %+v", d)
	}
	b.must(t, learner, "suggest The canteen opens at 8.")
	b.must(t, learner, "suggest The canteen closes at 3.")
	if got := b.must(t, learner, "suggest The canteen serves soup on Fridays."); !strings.Contains(got, "most I take from one person") {
		t.Errorf("third suggestion: %q", got)
	}
	// Another person, and the same person a day later, may suggest again.
	if got := b.must(t, curator, "suggest Soup on Fridays."); !strings.Contains(got, "Thanks") {
		t.Errorf("another person: %q", got)
	}
	b.now = b.now.Add(25 * time.Hour)
	if got := b.must(t, learner, "suggest The canteen serves soup on Fridays."); !strings.Contains(got, "Thanks") {
		t.Errorf("a day later: %q", got)
	}
}

func long() string { return strings.Repeat("word ", curation.MaxSuggestionBytes/5+100) }

func TestSuggestURLFetchesOnce(t *testing.T) {
	b := setup(t, nil)
	got := b.must(t, learner, "suggest https://blog.example.com/vpn")
	if !strings.Contains(got, "Setting up the VPN") {
		t.Errorf("reply %q", got)
	}
	drafts, _ := b.st.Drafts(t.Context())
	if len(drafts) != 1 || drafts[0].Source != "https://blog.example.com/vpn" || drafts[0].Owner != "slack/T1/"+learner {
		t.Errorf("drafts %+v", drafts)
	}
	blocked := setup(t, func(c *curation.Config) {
		c.Reader = reader{err: fmt.Errorf("fetch http://10.0.0.1/: %w", fetch.ErrBlockedAddress)}
	})
	if got := blocked.must(t, learner, "suggest http://10.0.0.1/"); !strings.Contains(got, "inside the company network") {
		t.Errorf("blocked: %q", got)
	}
	// Other failures are not described: a dial error names the hosts and
	// ports behind the address, which whoever suggests may not reach.
	unreachable := setup(t, func(c *curation.Config) {
		c.Reader = reader{err: errors.New("dial tcp 10.20.0.7:8443: connect: connection refused")}
	})
	if got := unreachable.must(t, learner, "suggest https://wiki.corp.example/x"); strings.Contains(got, "10.20.0.7") || !strings.Contains(got, "could not be reached") {
		t.Errorf("unreachable: %q", got)
	}
}

// A suggested page that redirects is cited where it landed, under the id
// of the address given, so that suggesting that address again finds the
// draft; one that redirects where robots.txt keeps Lore out is refused
// with the reason.
func TestSuggestedPageThatRedirects(t *testing.T) {
	b := setup(t, func(c *curation.Config) {
		r := c.Reader.(reader)
		r.moved = map[string]string{"http://blog.example.com/vpn": "https://blog.example.com/vpn"}
		c.Reader = r
	})
	b.must(t, learner, "suggest http://blog.example.com/vpn")
	drafts, _ := b.st.Drafts(t.Context())
	if len(drafts) != 1 || drafts[0].Source != "https://blog.example.com/vpn" || drafts[0].ID != knowledge.DocumentID("suggestions", "http://blog.example.com/vpn") {
		t.Fatalf("drafts %+v, want the page cited where it landed, under the id of the address given", drafts)
	}
	if got := b.must(t, curator, "suggest http://blog.example.com/vpn"); !strings.Contains(got, "already suggested") {
		t.Errorf("the same address again: %q", got)
	}

	disallowed := setup(t, func(c *curation.Config) {
		c.Reader = reader{err: fmt.Errorf("redirect to https://elsewhere.example/x: %w", fetch.ErrDisallowed)}
	})
	if got := disallowed.must(t, learner, "suggest https://blog.example.com/x"); !strings.Contains(got, "robots.txt") {
		t.Errorf("disallowed: %q", got)
	}
}

// A published document is not withdrawn by suggesting its address again.
func TestSuggestingAPublishedPageKeepsItPublished(t *testing.T) {
	b := setup(t, nil)
	b.must(t, learner, "suggest https://blog.example.com/vpn")
	drafts, _ := b.st.Drafts(t.Context())
	b.must(t, curator, "approve "+drafts[0].ID)
	if got := b.must(t, admin, "suggest https://blog.example.com/vpn"); !strings.Contains(got, "already in the knowledge base") {
		t.Errorf("reply %q", got)
	}
	if d, _ := b.st.Document(t.Context(), drafts[0].ID); d.Status != store.StatusPublished {
		t.Errorf("status %q", d.Status)
	}
}

func saveRequest() bot.SaveRequest {
	return bot.SaveRequest{
		Platform: "slack", Workspace: "T1", Channel: "C1", Thread: "1700.0001", User: "USAVER",
		Question: "How do I get a parking pass?", QuestionAuthor: "UASK",
		Answer: "Ask reception; it costs 5 euros a month.", AnswerAuthor: "UANS", AnswerID: "1700.0002",
		Permalink: "https://t1.slack.com/archives/C1/p17000002?thread_ts=1700.0001", Public: true,
	}
}

// An answer saved where not everyone may read it is kept for that
// channel's readers: its collection's audience is the channel, and a
// curator's later settings for that collection stand.
func TestSaveFromAChannelNotOpenToEveryone(t *testing.T) {
	b := setup(t, nil)
	ctx := t.Context()
	req := saveRequest()
	req.Public = false
	r := b.svc.Save(ctx, req)
	if !strings.Contains(r.Text, "answers only here") {
		t.Errorf("reply %q", r.Text)
	}
	drafts, _ := b.st.Drafts(ctx)
	if len(drafts) != 1 || drafts[0].Collection != "suggestions.slack.C1" {
		t.Fatalf("drafts %+v", drafts)
	}
	cs, _ := b.st.ListCollections(ctx)
	var got store.Collection
	for _, c := range cs {
		if c.Name == "suggestions.slack.C1" {
			got = c
		}
	}
	if got.Audience != "channel:slack/T1/C1" || !got.Approval {
		t.Errorf("collection %+v, want the channel as its audience and approval required", got)
	}
	if err := b.st.SetCollection(ctx, store.Collection{Name: "suggestions.slack.C1", Audience: "group:hr", Approval: true}); err != nil {
		t.Fatal(err)
	}
	req.AnswerID, req.Permalink = "1700.0003", "https://t1.slack.com/archives/C1/p17000003"
	b.svc.Save(ctx, req)
	cs, _ = b.st.ListCollections(ctx)
	for _, c := range cs {
		if c.Name == "suggestions.slack.C1" && c.Audience != "group:hr" {
			t.Errorf("a save replaced a curator's audience: %+v", c)
		}
	}
}

func TestSaveKeepsQuestionAndAnswerCreditedToTheAuthor(t *testing.T) {
	b := setup(t, nil)
	ctx := t.Context()
	r := b.svc.Save(ctx, saveRequest())
	if !strings.Contains(r.Text, "Saved to knowledge as a draft") || !strings.Contains(r.Text, "credited to its author") || !r.Private {
		t.Errorf("reply %+v", r)
	}
	drafts, _ := b.st.Drafts(ctx)
	if len(drafts) != 1 {
		t.Fatalf("drafts %+v", drafts)
	}
	d := drafts[0]
	if d.Collection != "suggestions" || d.Owner != "slack/T1/UANS" || d.Title != "How do I get a parking pass?" || d.Source != saveRequest().Permalink {
		t.Errorf("draft %+v", d)
	}
	ids, _ := b.st.ChunkIDs(ctx, d.ID)
	chunks, _ := b.st.Chunks(ctx, ids)
	var text string
	for _, c := range chunks {
		text += c.Text
	}
	if !strings.Contains(text, "Q: How do I get a parking pass?") || !strings.Contains(text, "A: Ask reception") {
		t.Errorf("body %q", text)
	}
	events, _ := b.st.Events(ctx, store.EventFilter{Kind: curation.EventSaved})
	if len(events) != 1 || events[0].User != "USAVER" || events[0].Ref != d.ID || events[0].Channel != "C1" {
		t.Errorf("the saver is not recorded: %+v", events)
	}
	a := b.audit.actions()
	if len(a) != 1 || a[0] != curation.AuditSave+" "+d.ID+" by slack/T1/USAVER" || !strings.Contains(b.audit.entries[0].detail, "answer by a colleague") {
		t.Errorf("audit %v %+v", a, b.audit.entries)
	}
	// Forgetting pseudonymises the actor and the owner; an id in the
	// detail would undo that.
	for _, id := range []string{"UANS", "USAVER", saveRequest().QuestionAuthor} {
		if detail := b.audit.entries[0].detail; strings.Contains(detail, id) {
			t.Errorf("the audit detail %q names %s", detail, id)
		}
	}
	if r := b.svc.Save(ctx, saveRequest()); !strings.Contains(r.Text, "already saved") {
		t.Errorf("saving again: %q", r.Text)
	}
}

func TestSaveRefusals(t *testing.T) {
	b := setup(t, nil)
	for name, c := range map[string]struct {
		edit func(*bot.SaveRequest)
		want string
	}{
		"Lore's own answer": {func(r *bot.SaveRequest) { r.AnswerByLore = true }, "one of mine"},
		"no question":       {func(r *bot.SaveRequest) { r.Question = "  " }, "couldn't find the question"},
		"empty answer":      {func(r *bot.SaveRequest) { r.Answer = "" }, "no text I can save"},
		"long answer":       {func(r *bot.SaveRequest) { r.Answer = long() }, "too long to save"},
	} {
		req := saveRequest()
		c.edit(&req)
		if r := b.svc.Save(t.Context(), req); !strings.Contains(r.Text, c.want) {
			t.Errorf("%s: %q, want %q", name, r.Text, c.want)
		}
	}
	if d, _ := b.st.Drafts(t.Context()); len(d) != 0 {
		t.Errorf("drafts %+v", d)
	}
}

// Through the bot: commands route to the capability, questions do not,
// saves reach it, and help mentions it.
func TestBotRoutesToCuration(t *testing.T) {
	b := setup(t, nil)
	core, err := bot.New(bot.Config{Knowledge: b.k, Events: b.st, Curation: b.svc})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if r := core.HandleMessage(ctx, msgFrom(learner, "sources")); !strings.HasPrefix(r.Text, "Only curators can list the sources") {
		t.Errorf("sources: %q", r.Text)
	}
	if r := core.HandleMessage(ctx, msgFrom(learner, "help")); !strings.Contains(r.Text, "`suggest URL`") || !strings.Contains(r.Text, "Save to knowledge") {
		t.Errorf("help: %q", r.Text)
	}
	r := core.HandleMessage(ctx, msgFrom(learner, "add a printer to my laptop?"))
	if strings.Contains(r.Text, "curator") {
		t.Errorf("a question was taken as add: %q", r.Text)
	}
	if r := core.HandleSave(ctx, saveRequest()); !r.Private || !strings.Contains(r.Text, "Saved to knowledge") {
		t.Errorf("save: %+v", r)
	}
	bare, _ := bot.New(bot.Config{Knowledge: b.k, Events: b.st})
	if r := bare.HandleSave(ctx, saveRequest()); !strings.Contains(r.Text, "not set up") {
		t.Errorf("save without curation: %q", r.Text)
	}
}

// "sources set" changes a source's schedule, review interval and approval
// in place, audited with what changed; the rest is kept.
func TestSourcesSetChangesASourceInPlace(t *testing.T) {
	b := setup(t, nil)
	src := store.Source{Name: "handbook", Kind: store.SourceSitemap, Location: "https://handbook.example.com/sitemap.xml",
		Collection: "hr", Owner: "people-ops", Every: 24 * time.Hour}
	if err := b.st.AddSource(t.Context(), src); err != nil {
		t.Fatal(err)
	}
	got := b.must(t, curator, "sources set handbook every 1h approval on")
	for _, want := range []string{"every day → hour", "approval false → true", "re-synced every hour"} {
		if !strings.Contains(got, want) {
			t.Errorf("reply %q lacks %q", got, want)
		}
	}
	got = b.must(t, admin, "sources SET handbook review 26w every 0")
	if !strings.Contains(got, "review every - → 182d") || !strings.Contains(got, "only when asked") {
		t.Errorf("reply %q", got)
	}
	stored, err := b.st.Source(t.Context(), "handbook")
	if err != nil {
		t.Fatal(err)
	}
	want := src
	want.Every, want.Approval, want.ReviewEvery, want.CreatedAt = 0, true, 182*24*time.Hour, stored.CreatedAt
	if !reflect.DeepEqual(stored, want) {
		t.Errorf("stored %+v, want %+v", stored, want)
	}
	// The same settings again change nothing and are not audited.
	if got := b.must(t, curator, "sources set handbook every 0"); !strings.Contains(got, "already has these settings") {
		t.Errorf("reply %q", got)
	}
	b.audit.mu.Lock()
	entries := slices.Clone(b.audit.entries)
	b.audit.mu.Unlock()
	wantEntries := []auditEntry{
		{"slack/T1/" + curator, store.AuditSourceUpdate, "handbook", "every day → hour, approval false → true"},
		{"slack/T1/" + admin, store.AuditSourceUpdate, "handbook", "every hour → manual, review every - → 182d"},
	}
	if !slices.Equal(entries, wantEntries) {
		t.Errorf("audit %+v, want %+v", entries, wantEntries)
	}
	if got := b.must(t, curator, "sources"); !strings.Contains(got, "· manual sync ·") || strings.Contains(got, "every manual") {
		t.Errorf("sources lacks the schedule: %q", got)
	}
}

// Bad input to "sources set" changes nothing and says why; a learner may
// not use it; a question is still a question.
func TestSourcesSetRefusals(t *testing.T) {
	b := setup(t, nil)
	if err := b.st.AddSource(t.Context(), store.Source{Name: "handbook", Kind: store.SourceURL, Location: "https://example.com/",
		Collection: "default", Every: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		"sources set":                            "Usage",
		"sources set handbook":                   "Usage",
		"sources set handbook every":             "Usage",
		"sources set handbook every 30s":         "at least a minute",
		"sources set handbook every often":       "not a period",
		"sources set handbook every -1h":         "not a period",
		"sources set handbook review 2h":         "at least a day",
		"sources set handbook approval maybe":    "`on` or `off`",
		"sources set handbook every 1h every 2h": "given twice",
		"sources set handbook owner <@U999>":     "lore sources set handbook --owner",
		"sources set handbook audience everyone": "lore sources set handbook --audience",
		"sources set handbook collection other":  "cannot change",
		"sources set handbook every 1h colour x": "can't set",
		"sources set nope every 1h":              "no source `nope`",
		"sources set `x`@here every 1h":          "no source",
	} {
		got := b.must(t, curator, text)
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", text, got, want)
		}
		if strings.Contains(got, "<@U999>") || strings.Contains(got, "@here") {
			t.Errorf("%s: a mention is echoed: %q", text, got)
		}
	}
	if got := b.must(t, learner, "sources set handbook every 1h"); !strings.HasPrefix(got, "Only curators can change sources") {
		t.Errorf("a learner's set: %q", got)
	}
	if src, _ := b.st.Source(t.Context(), "handbook"); src.Every != 24*time.Hour || src.Owner != "" {
		t.Errorf("refused changes changed the source: %+v", src)
	}
	if got := b.audit.actions(); len(got) != 0 {
		t.Errorf("refused changes were audited: %v", got)
	}
	for _, text := range []string{"sources set up for the new hires?", "sources set by marketing last year", "sources set the tone for onboarding"} {
		if r, ok := b.run(t, learner, text); ok {
			t.Errorf("%q taken as a command: %q", text, r.Text)
		}
	}
}
