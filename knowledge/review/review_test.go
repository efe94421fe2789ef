package review_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/knowledge/review"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// outbox records the direct messages sent, and fails for the people
// named in fail.
type outbox struct {
	mu   sync.Mutex
	sent map[string][]string // "platform/workspace/user" -> message texts
	fail map[string]bool
}

func (o *outbox) SendDirect(_ context.Context, platform, workspace string, users []string, r bot.Reply) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(users) != 1 {
		return fmt.Errorf("a reminder went to %d people at once", len(users))
	}
	key := audience.Ref{Platform: platform, Workspace: workspace, ID: users[0]}.String()
	if o.fail[key] {
		return errors.New("chat platform down")
	}
	if o.sent == nil {
		o.sent = map[string][]string{}
	}
	o.sent[key] = append(o.sent[key], r.Text)
	return nil
}

func (o *outbox) take() map[string][]string {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.sent
	o.sent = nil
	return s
}

type env struct {
	st  *sqlite.Store
	now time.Time
	out *outbox
	svc *review.Service
}

var start = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, reviewers []audience.Ref) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	groups, err := audience.NewStatic("", "people-team=slack/T1/U2|discord/D3")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, now: start, out: &outbox{}}
	e.svc, err = review.New(review.Config{Store: st, Messenger: e.out, Groups: groups, Reviewers: reviewers,
		Clock: func() time.Time { return e.now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) doc(t *testing.T, id, title, owner string, reviewBy time.Time) {
	t.Helper()
	err := e.st.ReplaceDocument(t.Context(), store.Document{ID: id, Collection: "handbook", Source: "https://intranet.example.com/" + id,
		Title: title, Owner: owner, ContentHash: "h-" + id, ReviewBy: reviewBy}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// downvote records an answer citing docID to question, with n 👎.
func (e *env) downvote(t *testing.T, at time.Time, docID, question string, n int) {
	t.Helper()
	id := fmt.Sprintf("answer-%s-%d", docID, at.UnixNano())
	if err := e.st.RecordEvent(t.Context(), store.Event{ID: id, Time: at, Kind: store.EventAnswer, Platform: "slack",
		User: "asker", Question: question, Confident: true, DocIDs: []string{docID}}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := e.st.RecordEvent(t.Context(), store.Event{ID: fmt.Sprintf("%s-%d", id, i), Time: at.Add(time.Minute),
			Kind: store.EventFeedback, Platform: "slack", User: fmt.Sprintf("p%d", i), Value: -1, Ref: id}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) send(t *testing.T) review.Result {
	t.Helper()
	res, err := e.svc.Send(t.Context())
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return res
}

func TestRemindersGoToOwnersOncePerWeek(t *testing.T) {
	e := newEnv(t, []audience.Ref{{Platform: "slack", Workspace: "T1", ID: "U9"}})
	e.doc(t, "leave", "Annual leave", "slack/T1/U1", start.AddDate(0, 0, -3))
	e.doc(t, "vpn", "VPN setup", "People Team", start)
	e.doc(t, "pay", "Payroll", "Finance", start.AddDate(0, -1, 0))
	e.doc(t, "later", "Later", "slack/T1/U1", start.AddDate(0, 0, 1))
	e.doc(t, "expenses", "Expenses", "user:slack/T1/U1", time.Time{})
	e.doc(t, "parking", "Parking", "slack/T1/U1", time.Time{})
	for i := range 6 {
		e.downvote(t, start.Add(-time.Duration(6-i)*time.Hour), "expenses", fmt.Sprintf("expense question %d?", i), 1)
	}
	e.downvote(t, start.Add(-time.Hour), "parking", "where do I park?", 2) // below the threshold of 3
	e.downvote(t, start.AddDate(0, 0, -8), "parking", "old?", 5)           // older than a week

	items, err := e.svc.Items(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.Document.ID+"/"+it.Reason+"/"+it.Route)
	}
	want := []string{"pay/due/reviewers", "leave/due/owner", "vpn/due/group", "expenses/downvoted/owner"}
	if !slices.Equal(got, want) {
		t.Fatalf("items %v, want %v", got, want)
	}
	if q := items[3].Questions; len(q) != review.MaxQuestions || q[0] != "expense question 5?" {
		t.Errorf("questions %q, want the 5 newest first", q)
	}

	res := e.send(t)
	if res.Reminded != 4 || res.Messages != 4 || res.Failed != 0 {
		t.Errorf("send: %+v, want 4 items in 4 messages", res)
	}
	sent := e.out.take()
	u1 := sent["slack/T1/U1"]
	if len(u1) != 1 || !strings.Contains(u1[0], "Annual leave") || !strings.Contains(u1[0], "Expenses") ||
		!strings.Contains(u1[0], "3 days ago") || !strings.Contains(u1[0], "“expense question 5?”") || strings.Contains(u1[0], "expense question 0?") {
		t.Errorf("the owner's one message:\n%v", u1)
	}
	for _, member := range []string{"slack/T1/U2", "discord/D3"} {
		if m := sent[member]; len(m) != 1 || !strings.Contains(m[0], "VPN setup") || strings.Contains(m[0], "Annual leave") {
			t.Errorf("group member %s got %v", member, m)
		}
	}
	if m := sent["slack/T1/U9"]; len(m) != 1 || !strings.Contains(m[0], "Payroll") || !strings.Contains(m[0], "owner: Finance") {
		t.Errorf("the reviewer got %v", m)
	}

	// The same day, and six days on: nothing again.
	if res := e.send(t); res.Messages != 0 || len(e.out.take()) != 0 {
		t.Errorf("second send the same day: %+v", res)
	}
	e.now = start.AddDate(0, 0, 6)
	if res := e.send(t); res.Reminded != 1 || res.Messages != 1 {
		t.Errorf("six days on, only the newly due document: %+v", res)
	}
	if sent := e.out.take(); len(sent["slack/T1/U1"]) != 1 || !strings.Contains(sent["slack/T1/U1"][0], "Later") ||
		strings.Contains(sent["slack/T1/U1"][0], "Annual leave") {
		t.Errorf("six days on: %v", sent)
	}
	// A week on, what is still due is reminded again; the 👎 have aged out.
	e.now = start.AddDate(0, 0, 7)
	if res := e.send(t); res.Reminded != 3 {
		t.Errorf("a week on: %+v, want leave, vpn and pay again", res)
	}
}

func TestFailedReminderIsSentAgain(t *testing.T) {
	e := newEnv(t, nil)
	e.doc(t, "leave", "Annual leave", "slack/T1/U1", start)
	e.doc(t, "vpn", "VPN", "slack/T1/U5", start)
	e.out.fail = map[string]bool{"slack/T1/U1": true}
	if res := e.send(t); res.Reminded != 1 || res.Failed != 1 {
		t.Fatalf("send with U1 unreachable: %+v", res)
	}
	e.out.take()
	e.out.fail = nil
	if res := e.send(t); res.Reminded != 1 || res.Messages != 1 {
		t.Fatalf("retry: %+v, want the failed reminder only", res)
	}
	if sent := e.out.take(); len(sent) != 1 || len(sent["slack/T1/U1"]) != 1 {
		t.Errorf("retry sent %v", sent)
	}
}

func TestOwnerNoOneCanReachIsOnlyListed(t *testing.T) {
	e := newEnv(t, nil)
	e.doc(t, "leave", "Annual leave", "Legal Department", start)
	e.doc(t, "odd", "Odd", "hr/payroll", start) // not a chat platform: not a person
	res := e.send(t)
	if res.Unrouted != 2 || res.Messages != 0 {
		t.Fatalf("send: %+v, want 2 unrouted", res)
	}
	items, _ := e.svc.Items(t.Context())
	for _, it := range items {
		if it.Route != review.RouteNone || !it.LastSent.IsZero() {
			t.Errorf("item %s: route %s, last sent %v; want none, never", it.Document.ID, it.Route, it.LastSent)
		}
	}
}

func TestSendWithoutMessenger(t *testing.T) {
	e := newEnv(t, nil)
	svc, err := review.New(review.Config{Store: e.st})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(t.Context()); !errors.Is(err, review.ErrNoMessenger) {
		t.Errorf("send without a messenger: %v", err)
	}
}

// Document and question text cannot break the list: each stays on one
// line, shortened, whatever new lines or control characters it holds.
func TestMessageKeepsTextOnOneLine(t *testing.T) {
	long := strings.Repeat("why ", 100) + "?"
	items := []review.Item{{
		Document: store.Document{ID: "x", Title: "Leave\n• fake item\r\n# heading \x00@channel", Collection: "handbook",
			Source: "https://a.example.com/x", Owner: "slack/U1"},
		Reason: store.ReviewDownvoted, Downvotes: 3, Questions: []string{"<!channel> ping\neveryone"},
		Route: review.RouteOwner,
	}}
	r := review.Message(items, start)
	for _, line := range strings.Split(r.Text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "# ") || strings.HasPrefix(line, "• fake") || strings.Contains(line, "\x00") {
			t.Errorf("document text started a line of its own: %q", line)
		}
	}
	if !strings.Contains(r.Text, "Leave • fake item # heading @channel (handbook)") {
		t.Errorf("title not kept on one line:\n%s", r.Text)
	}
	e := newEnv(t, nil)
	e.doc(t, "long", "Long", "slack/T1/U1", time.Time{})
	e.downvote(t, start.Add(-time.Hour), "long", long, 3)
	got, _ := e.svc.Items(t.Context())
	if len(got) != 1 || utf8.RuneCountInString(got[0].Questions[0]) != 200 || !strings.HasSuffix(got[0].Questions[0], "…") {
		t.Errorf("a long question is not shortened to 200 characters: %+v", got)
	}
}

// Two replicas sending at once remind of each document once between them.
func TestConcurrentSendsRemindOnce(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 6 {
		e.doc(t, fmt.Sprintf("doc-%d", i), fmt.Sprintf("Doc %d", i), fmt.Sprintf("slack/T1/U%d", i%2), start)
	}
	other, err := review.New(review.Config{Store: e.st, Messenger: e.out, Clock: func() time.Time { return e.now },
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]review.Result, 2)
	for i, svc := range []*review.Service{e.svc, other} {
		wg.Go(func() {
			res, err := svc.Send(t.Context())
			if err != nil {
				t.Errorf("send: %v", err)
			}
			results[i] = res
		})
	}
	wg.Wait()
	if got := results[0].Reminded + results[1].Reminded; got != 6 {
		t.Errorf("reminded %d items between the two, want each of the 6 once: %+v", got, results)
	}
	seen := map[string]int{}
	for _, texts := range e.out.take() {
		for _, text := range texts {
			for i := range 6 {
				if strings.Contains(text, fmt.Sprintf("Doc %d ", i)) {
					seen[fmt.Sprintf("Doc %d", i)]++
				}
			}
		}
	}
	for i := range 6 {
		if n := seen[fmt.Sprintf("Doc %d", i)]; n != 1 {
			t.Errorf("Doc %d named in %d messages, want 1", i, n)
		}
	}
}

// A forgotten owner is messaged no more: forgetting them makes the
// pseudonym the owner, which is no one to reach, so the document goes
// to the reviewers, who see that its owner was forgotten.
func TestForgottenOwnerIsNotMessaged(t *testing.T) {
	e := newEnv(t, []audience.Ref{{Platform: "slack", Workspace: "T1", ID: "U9"}})
	e.doc(t, "leave", "Annual leave", "slack/T1/U1", start)
	e.doc(t, "expenses", "Expenses", "user:slack/T1/U1", start)
	res, err := e.st.Forget(t.Context(), "U1", false)
	if err != nil {
		t.Fatal(err)
	}
	items, err := e.svc.Items(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Document.Owner != res.Pseudonym || it.Route != review.RouteReviewers {
			t.Errorf("item %s: owner %q, route %s; want %s, reviewers", it.Document.ID, it.Document.Owner, it.Route, res.Pseudonym)
		}
	}
	e.send(t)
	sent := e.out.take()
	if len(sent["slack/T1/U1"]) != 0 {
		t.Errorf("the forgotten owner was messaged: %v", sent["slack/T1/U1"])
	}
	if m := sent["slack/T1/U9"]; len(m) != 1 || !strings.Contains(m[0], "owner: "+res.Pseudonym) {
		t.Errorf("the reviewer got %v, want both documents with the forgotten owner", m)
	}
}

// A replica that stops between claiming reminders and sending them does
// not hold them for the week: once its claim runs out, the next run
// sends them, and then they are quiet for the week.
func TestRemindersOfAStoppedReplicaAreSentLater(t *testing.T) {
	e := newEnv(t, nil)
	e.doc(t, "leave", "Annual leave", "slack/T1/U1", start)
	// The stopped replica claimed the reminder and never sent it.
	claimed, err := e.st.ClaimReviewNotices(t.Context(), []store.ReviewNotice{{DocID: "leave", Reason: store.ReviewDue, SentAt: start}}, review.Lease, review.Week)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	e.now = start.Add(review.Lease - time.Minute)
	if res := e.send(t); res.Messages != 0 {
		t.Fatalf("send while the claim holds: %+v, want nothing: another replica may be sending", res)
	}
	e.now = start.Add(review.Lease)
	if res := e.send(t); res.Reminded != 1 || len(e.out.take()["slack/T1/U1"]) != 1 {
		t.Fatalf("send once the claim ran out: %+v, want the reminder", res)
	}
	items, err := e.svc.Items(t.Context())
	if err != nil || len(items) != 1 || !items[0].LastSent.Equal(start.Add(review.Lease)) {
		t.Fatalf("items after sending: %+v, %v", items, err)
	}
	e.now = start.Add(review.Lease + time.Hour)
	if res := e.send(t); res.Messages != 0 {
		t.Errorf("send after it was delivered: %+v, want nothing for the week", res)
	}
}
