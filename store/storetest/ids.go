package storetest

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var idCases = []testCase{
	{"OverlongRefusedByEveryWrite", testOverlongIDsRefused},
	{"AtTheLimitKept", testIDsAtTheLimitKept},
	{"WidestKeyAtTheLimit", testWidestKeyAtTheLimit},
	{"OverlongReadsFindNothing", testOverlongIDReads},
}

// longID returns an id of n bytes, a different one for each seed. Its
// characters are random because PostgreSQL compresses an index entry
// before it measures it: kilobytes of one letter would fit its index.
func longID(n int, seed uint64) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	rng := rand.New(rand.NewPCG(uint64(n), seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// idWrite is one write that stores an identifier: write stores id as the
// identifier the store's error calls field, whose limit is limit bytes
// (store.MaxID unless said).
type idWrite struct {
	name  string
	field string
	limit int
	write func(t *testing.T, s store.Store, id string) error
}

// idWrites lists the writes of every interface that store an identifier,
// each with id in one place. A write that needs an earlier record makes
// it first, with the same id where the record shares it, and ignores that
// step's error: with an overlong id the step is refused too.
func idWrites() []idWrite {
	doc := func(id, collection, owner string) store.Document {
		d := newDoc(id, collection)
		d.Owner = owner
		return d
	}
	event := func(f func(e *store.Event)) store.Event {
		e := store.Event{ID: "e1", Time: base, Kind: store.EventQuestion, Platform: "slack", Workspace: "T1", Channel: "C1", User: "U1"}
		f(&e)
		return e
	}
	recordEvent := func(name, field string, f func(e *store.Event, id string)) idWrite {
		return idWrite{name: name, field: field, write: func(t *testing.T, s store.Store, id string) error {
			return s.RecordEvent(t.Context(), event(func(e *store.Event) { f(e, id) }))
		}}
	}
	statement := func(f func(st *store.Statement, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			st := stmt("s1", base, "U1")
			f(&st, id)
			return s.AddStatements(t.Context(), []store.Statement{st})
		}
	}
	person := func(f func(p *store.Person, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			p := store.Person{Platform: "slack", Workspace: "T1", User: "U1", TimeZone: "UTC", UpdatedAt: base}
			f(&p, id)
			return s.SavePerson(t.Context(), p)
		}
	}
	grant := func(f func(g *store.RoleGrant, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			g := store.RoleGrant{Platform: "slack", Workspace: "T1", User: "U1", Role: "curator", GrantedBy: "cli:root", Time: base}
			f(&g, id)
			_, err := s.GrantRole(t.Context(), g)
			return err
		}
	}
	profile := func(f func(p *store.Profile, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			p := store.Profile{PersonKey: ana, Name: "Ana", UpdatedAt: base}
			f(&p, id)
			return peersOf(t, s).PutProfile(t.Context(), p)
		}
	}
	request := func(f func(r *store.PeerRequest, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			r := store.PeerRequest{ID: "r1", Platform: "slack", Workspace: "T1", Asker: "ana", Expert: "ben", Topic: "go",
				Status: store.RequestPending, CreatedAt: base, UpdatedAt: base}
			f(&r, id)
			return peersOf(t, s).PutRequest(t.Context(), r)
		}
	}
	round := func(f func(r *store.Round, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			r := store.Round{ID: "slack/T1/C1/2025-W10", Platform: "slack", Workspace: "T1", Channel: "C1", StartedAt: base,
				Groups: []store.RoundGroup{{Members: []string{"ana", "ben"}, SendAt: base}}}
			f(&r, id)
			_, err := peersOf(t, s).CreateRound(t.Context(), r)
			return err
		}
	}
	roundConfig := func(f func(c *store.RoundConfig, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			c := store.RoundConfig{Platform: "slack", Workspace: "T1", Channel: "C1", Frequency: "weekly", GroupSize: 2, IntroHour: 10}
			f(&c, id)
			return peersOf(t, s).PutRoundConfig(t.Context(), c)
		}
	}
	enrolment := func(f func(e *store.Enrolment, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			e := store.Enrolment{Learner: ann, TrackID: "sec", Status: store.EnrolmentActive, Source: "self", JoinedAt: base}
			f(&e, id)
			return nudgesOf(t, s).SaveEnrolment(t.Context(), e)
		}
	}
	cardState := func(f func(c *store.CardState, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			c := store.CardState{Learner: ann, TrackID: "sec", CardID: "c1", SeenAt: base}
			f(&c, id)
			return nudgesOf(t, s).SaveCardState(t.Context(), c)
		}
	}
	// claim claims the delivery key, with what f sets, for a learner
	// enrolled first; each key has its own learner, since a learner has
	// one delivery being sent at a time.
	claim := func(key string, f func(d *store.Delivery, c *store.DeliveryClaim, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			l := store.Learner{Platform: ann.Platform, Workspace: ann.Workspace, User: "U-" + key}
			d := store.Delivery{ID: key, Learner: l, Slot: base, Cards: []store.DeliveryCard{{TrackID: "sec", CardID: "c1", Version: 1}}}
			c := claimAt("a", base)
			f(&d, &c, id)
			n := nudgesOf(t, s)
			_ = n.SaveEnrolment(t.Context(), store.Enrolment{Learner: d.Learner, TrackID: "sec", Status: store.EnrolmentActive, JoinedAt: base})
			_, err := n.ClaimDelivery(t.Context(), d, c)
			return err
		}
	}
	// complete claims the delivery key and completes it with what f sets.
	complete := func(key string, f func(d *store.DeliveryDone, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			n := nudgesOf(t, s)
			l := store.Learner{Platform: ann.Platform, Workspace: ann.Workspace, User: "U-" + key}
			enrol(t, n, l)
			_, _ = n.ClaimDelivery(t.Context(), store.Delivery{ID: key, Learner: l, Slot: base}, claimAt("a", base))
			d := store.DeliveryDone{ID: key, Claim: "a", Status: store.DeliverySent, At: base}
			f(&d, id)
			return n.CompleteDelivery(t.Context(), d)
		}
	}
	answer := func(f func(a *store.Answer, id string)) func(t *testing.T, s store.Store, id string) error {
		return func(t *testing.T, s store.Store, id string) error {
			a := store.Answer{DeliveryID: "d1", CardID: "c1", Learner: ann, Choice: "b", At: base}
			f(&a, id)
			_, err := nudgesOf(t, s).RecordAnswer(t.Context(), a)
			return err
		}
	}
	return []idWrite{
		{name: "document id", field: "document id", write: func(t *testing.T, s store.Store, id string) error {
			return s.ReplaceDocument(t.Context(), doc(id, "handbook", ""), nil)
		}},
		{name: "document collection", field: "collection", write: func(t *testing.T, s store.Store, id string) error {
			return s.ReplaceDocument(t.Context(), doc("d1", id, ""), nil)
		}},
		{name: "document owner", field: "owner", write: func(t *testing.T, s store.Store, id string) error {
			return s.ReplaceDocument(t.Context(), doc("d1", "handbook", id), nil)
		}},
		{name: "bulk-loaded document id", field: "document id", write: func(t *testing.T, s store.Store, id string) error {
			load := beginBulk(t, s)
			return errors.Join(load.ReplaceDocument(t.Context(), doc(id, "handbook", ""), nil), load.Finish(t.Context()))
		}},
		recordEvent("event id", "event id", func(e *store.Event, id string) { e.ID = id }),
		recordEvent("event kind", "event kind", func(e *store.Event, id string) { e.Kind = id }),
		recordEvent("event platform", "event platform", func(e *store.Event, id string) { e.Platform = id }),
		recordEvent("event workspace", "event workspace", func(e *store.Event, id string) { e.Workspace = id }),
		recordEvent("event channel", "event channel", func(e *store.Event, id string) { e.Channel = id }),
		recordEvent("event thread", "event thread", func(e *store.Event, id string) { e.Thread = id }),
		recordEvent("event user", "event user", func(e *store.Event, id string) { e.User = id }),
		recordEvent("event document", "document ids[1]", func(e *store.Event, id string) {
			e.Kind, e.DocIDs = store.EventAnswer, []string{"d1", id}
		}),
		{name: "recorded events", field: "event user", write: func(t *testing.T, s store.Store, id string) error {
			return s.RecordEvents(t.Context(), []store.Event{event(func(e *store.Event) {}), event(func(e *store.Event) { e.ID, e.User = "e2", id })})
		}},
		{name: "replaced event", field: "event user", write: func(t *testing.T, s store.Store, id string) error {
			return peersOf(t, s).ReplaceEvent(t.Context(), event(func(e *store.Event) { e.Kind, e.Value, e.User = store.EventMet, 1, id }))
		}},
		{name: "statement id", field: "statement id", write: statement(func(st *store.Statement, id string) { st.ID = id })},
		{name: "statement user", field: "statement user", write: statement(func(st *store.Statement, id string) { st.User = id })},
		{name: "voided statement", field: "voids", write: statement(func(st *store.Statement, id string) { st.Voids = id })},
		{name: "analytics opt-out", field: "user", write: func(t *testing.T, s store.Store, id string) error {
			return s.SetOptOut(t.Context(), id, true)
		}},
		{name: "lock name", field: "lock name", write: func(t *testing.T, s store.Store, id string) error {
			_, err := s.TryLock(t.Context(), id, "me", time.Minute)
			return err
		}},
		{name: "lock owner", field: "lock owner", write: func(t *testing.T, s store.Store, id string) error {
			_, err := s.TryLock(t.Context(), "ingest", id, time.Minute)
			return err
		}},
		{name: "person platform", field: "person platform", write: person(func(p *store.Person, id string) { p.Platform = id })},
		{name: "person workspace", field: "person workspace", write: person(func(p *store.Person, id string) { p.Workspace = id })},
		{name: "person user", field: "person user", write: person(func(p *store.Person, id string) { p.User = id })},
		{name: "source collection", field: "source collection", write: func(t *testing.T, s store.Store, id string) error {
			src := sampleSource("hb")
			src.Collection = id
			return s.AddSource(t.Context(), src)
		}},
		{name: "source owner", field: "source owner", write: func(t *testing.T, s store.Store, id string) error {
			src := sampleSource("hb1")
			src.Owner = id
			return s.AddSource(t.Context(), src)
		}},
		{name: "source owner changed", field: "source owner", write: func(t *testing.T, s store.Store, id string) error {
			_ = s.AddSource(t.Context(), sampleSource("hb2"))
			_, _, err := s.UpdateSource(t.Context(), "hb2", store.SourceUpdate{Owner: &id})
			return err
		}},
		{name: "source page", field: "document id of page", write: func(t *testing.T, s store.Store, id string) error {
			_ = s.AddSource(t.Context(), sampleSource("hb3"))
			return s.RecordSync(t.Context(), "hb3", store.SyncRecord{ReplacePages: true, Pages: []store.SourcePage{page(id, "https://example.com/a", 1)}})
		}},
		{name: "collection name", field: "collection name", write: func(t *testing.T, s store.Store, id string) error {
			return s.SetCollection(t.Context(), store.Collection{Name: id, UpdatedAt: base})
		}},
		{name: "review notice", field: "document id", write: func(t *testing.T, s store.Store, id string) error {
			_, err := s.ClaimReviewNotices(t.Context(), []store.ReviewNotice{{DocID: id, Reason: store.ReviewDue, SentAt: base}}, reviewLease, time.Hour)
			return err
		}},
		{name: "role grant platform", field: "role grant platform", write: grant(func(g *store.RoleGrant, id string) { g.Platform = id })},
		{name: "role grant workspace", field: "role grant workspace", write: grant(func(g *store.RoleGrant, id string) { g.Workspace = id })},
		{name: "role grant user", field: "role grant user", write: grant(func(g *store.RoleGrant, id string) { g.User = id })},
		{name: "role grant role", field: "role grant role", write: grant(func(g *store.RoleGrant, id string) { g.Role = id })},
		{name: "profile platform", field: "profile platform", write: profile(func(p *store.Profile, id string) { p.Platform = id })},
		{name: "profile workspace", field: "profile workspace", write: profile(func(p *store.Profile, id string) { p.Workspace = id })},
		{name: "profile user", field: "profile user", write: profile(func(p *store.Profile, id string) { p.User = id })},
		{name: "request id", field: "request id", write: request(func(r *store.PeerRequest, id string) { r.ID = id })},
		{name: "request platform", field: "request platform", write: request(func(r *store.PeerRequest, id string) { r.Platform = id })},
		{name: "request workspace", field: "request workspace", write: request(func(r *store.PeerRequest, id string) { r.Workspace = id })},
		{name: "request asker", field: "request asker", write: request(func(r *store.PeerRequest, id string) { r.Asker = id })},
		{name: "request expert", field: "request expert", write: request(func(r *store.PeerRequest, id string) { r.Expert = id })},
		{name: "request swapped", field: "request expert", write: func(t *testing.T, s store.Store, id string) error {
			ps := peersOf(t, s)
			r := store.PeerRequest{ID: "r2", Platform: "slack", Workspace: "T1", Asker: "ana", Expert: "ben", Status: store.RequestSuggested, CreatedAt: base, UpdatedAt: base}
			_ = ps.PutRequest(t.Context(), r)
			r.Expert, r.Status = id, store.RequestPending
			_, err := ps.SwapRequest(t.Context(), r, store.RequestSuggested)
			return err
		}},
		{name: "round config platform", field: "round platform", write: roundConfig(func(c *store.RoundConfig, id string) { c.Platform = id })},
		{name: "round config workspace", field: "round workspace", write: roundConfig(func(c *store.RoundConfig, id string) { c.Workspace = id })},
		{name: "round config channel", field: "round channel", write: roundConfig(func(c *store.RoundConfig, id string) { c.Channel = id })},
		{name: "round id", field: "round id", limit: store.MaxRoundID, write: round(func(r *store.Round, id string) { r.ID = id })},
		{name: "round channel", field: "round channel", write: round(func(r *store.Round, id string) { r.Channel = id })},
		{name: "round member", field: "group 0 members[1]", write: round(func(r *store.Round, id string) { r.Groups[0].Members[1] = id })},
		{name: "round unplaced", field: "unplaced[0]", write: round(func(r *store.Round, id string) { r.Unplaced = []string{id} })},
		{name: "round updated", field: "round workspace", write: func(t *testing.T, s store.Store, id string) error {
			ps := peersOf(t, s)
			r := store.Round{ID: "slack/T1/C2/2025-W10", Platform: "slack", Workspace: "T1", Channel: "C2", StartedAt: base}
			_, _ = ps.CreateRound(t.Context(), r)
			r.Workspace = id
			return ps.UpdateRound(t.Context(), r)
		}},
		{name: "track id", field: "track id", write: func(t *testing.T, s store.Store, id string) error {
			_, _, err := nudgesOf(t, s).PublishTrack(t.Context(), store.TrackVersion{TrackID: id, Hash: "h1", Title: "Security", Content: []byte(`{}`), LoadedAt: base})
			return err
		}},
		{name: "enrolment learner", field: "learner user", write: enrolment(func(e *store.Enrolment, id string) { e.User = id })},
		{name: "enrolment track", field: "enrolment track id", write: enrolment(func(e *store.Enrolment, id string) { e.TrackID = id })},
		{name: "enrolment status", field: "enrolment status", write: enrolment(func(e *store.Enrolment, id string) { e.Status = id })},
		{name: "enrolment channel", field: "enrolment channel", write: enrolment(func(e *store.Enrolment, id string) { e.Channel = id })},
		{name: "enrolment seen card", field: "seen cards[0]", write: enrolment(func(e *store.Enrolment, id string) { e.Seen = []string{id} })},
		{name: "preferences learner", field: "learner workspace", write: func(t *testing.T, s store.Store, id string) error {
			return nudgesOf(t, s).SavePreferences(t.Context(), store.Preferences{Learner: store.Learner{Platform: "slack", Workspace: id, User: "U1"}, Weekdays: 62, DailyCap: 1})
		}},
		{name: "card state learner", field: "learner platform", write: cardState(func(c *store.CardState, id string) { c.Platform = id })},
		{name: "card state track", field: "card state track id", write: cardState(func(c *store.CardState, id string) { c.TrackID = id })},
		{name: "card state card", field: "card state card id", write: cardState(func(c *store.CardState, id string) { c.CardID = id })},
		{name: "delivery id", field: "delivery id", write: claim("d1", func(d *store.Delivery, _ *store.DeliveryClaim, id string) { d.ID = id })},
		{name: "delivery learner", field: "learner user", write: claim("d2", func(d *store.Delivery, _ *store.DeliveryClaim, id string) { d.User = id })},
		{name: "delivery thread", field: "delivery thread", write: claim("d3", func(d *store.Delivery, _ *store.DeliveryClaim, id string) { d.Thread = id })},
		{name: "delivery claim", field: "delivery claim", write: claim("d4", func(_ *store.Delivery, c *store.DeliveryClaim, id string) { c.Token = id })},
		{name: "delivery card", field: "card 0 card id", write: claim("d5", func(d *store.Delivery, _ *store.DeliveryClaim, id string) { d.Cards[0].CardID = id })},
		{name: "delivered thread", field: "delivery thread", write: complete("d6", func(d *store.DeliveryDone, id string) { d.Thread = id })},
		{name: "delivered enrolment", field: "enrolment track id", write: complete("d7", func(d *store.DeliveryDone, id string) {
			d.Enrolments = []store.Enrolment{{Learner: ann, TrackID: id, Status: store.EnrolmentActive, JoinedAt: base}}
		})},
		{name: "delivered card state", field: "card state card id", write: complete("d8", func(d *store.DeliveryDone, id string) {
			d.States = []store.CardState{{Learner: ann, TrackID: "sec", CardID: id, SeenAt: base}}
		})},
		{name: "delivered event", field: "event thread", write: complete("d9", func(d *store.DeliveryDone, id string) {
			d.Events = []store.Event{event(func(e *store.Event) { e.Thread = id })}
		})},
		{name: "answer delivery", field: "answer delivery id", write: answer(func(a *store.Answer, id string) { a.DeliveryID = id })},
		{name: "answer card", field: "answer card id", write: answer(func(a *store.Answer, id string) { a.CardID = id })},
		{name: "quiz answer", field: "answer card id", write: func(t *testing.T, s store.Store, id string) error {
			a := store.Answer{DeliveryID: "d1", CardID: id, Learner: ann, Choice: "b", Correct: true, At: base}
			st := store.CardState{Learner: ann, TrackID: "sec", CardID: id, Reps: 1, LastReview: base, SeenAt: base}
			_, err := nudgesOf(t, s).RecordQuizAnswer(t.Context(), store.QuizReview{Answer: a, State: st})
			return err
		}},
	}
}

// An identifier longer than the limit, by one byte or by kilobytes, is
// refused by every write that stores one, the same way in every backend:
// an error wrapping ErrInvalidInput that names the field and the limit.
// PostgreSQL would otherwise fail in its btree index, and SQLite keep it.
func testOverlongIDsRefused(t *testing.T, s store.Store) {
	for i, w := range idWrites() {
		limit := orDefault(w.limit, store.MaxID)
		for _, n := range []int{limit + 1, 4096} {
			err := w.write(t, s, longID(n, uint64(i)))
			switch {
			case !errors.Is(err, store.ErrInvalidInput):
				t.Errorf("%s of %d bytes: %v, want ErrInvalidInput", w.name, n, err)
			case !strings.Contains(err.Error(), w.field) || !strings.Contains(err.Error(), strconv.Itoa(limit)):
				t.Errorf("%s of %d bytes: %q does not name the field (%s) and the limit (%d)", w.name, n, err, w.field, limit)
			}
		}
	}
	wantStats(t, s, store.Stats{})
	if es := mustEvents(t, s, store.EventFilter{}); len(es) != 0 {
		t.Errorf("events after refused writes: %+v", es)
	}
	if ps, err := peersOf(t, s).Profiles(t.Context(), "slack", "T1"); err != nil || len(ps) != 0 {
		t.Errorf("profiles after refused writes: %+v, %v", ps, err)
	}
	if ts, err := nudgesOf(t, s).Tracks(t.Context()); err != nil || len(ts) != 0 {
		t.Errorf("tracks after refused writes: %+v, %v", ts, err)
	}
}

// orDefault returns v, or def when v is 0.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// An identifier of exactly the limit is kept by every write, in every
// backend: the limit is one each of them can hold.
func testIDsAtTheLimitKept(t *testing.T, s store.Store) {
	for i, w := range idWrites() {
		if err := w.write(t, s, longID(orDefault(w.limit, store.MaxID), uint64(i))); err != nil {
			t.Errorf("%s at the limit: %v", w.name, err)
		}
	}
	id := longID(store.MaxID, 1000)
	mustSavePerson(t, s, store.Person{Platform: "slack", Workspace: "T1", User: id, TimeZone: "UTC", UpdatedAt: base})
	if got := mustPerson(t, s, "slack", "T1", id); got.User != id {
		t.Errorf("person read back with user %.20q…", got.User)
	}
}

// A card state is keyed by five identifiers, the widest key Lore indexes:
// all five at the limit still fit PostgreSQL's btree index.
func testWidestKeyAtTheLimit(t *testing.T, s store.Store) {
	n := nudgesOf(t, s)
	l := store.Learner{Platform: longID(store.MaxID, 1), Workspace: longID(store.MaxID, 2), User: longID(store.MaxID, 3)}
	c := store.CardState{Learner: l, TrackID: longID(store.MaxID, 4), CardID: longID(store.MaxID, 5), SeenAt: base}
	if err := n.SaveCardState(t.Context(), c); err != nil {
		t.Fatalf("card state of five ids at the limit: %v", err)
	}
	got, err := n.CardStates(t.Context(), l, c.TrackID)
	if err != nil || len(got) != 1 || got[0].CardID != c.CardID {
		t.Errorf("card states = %d, %v; want the one saved", len(got), err)
	}
}

// Reads and deletes take identifiers of any length: one too long to store
// finds nothing, so that records kept before the limit stay readable and
// removable, and a caller holding such an id from outside is told that
// there is nothing rather than an error.
func testOverlongIDReads(t *testing.T, s store.Store) {
	ctx, long := t.Context(), longID(4096, 7)
	ps, n := peersOf(t, s), nudgesOf(t, s)
	someone := store.Learner{Platform: "slack", Workspace: "T1", User: long}
	notFound := map[string]error{}
	_, notFound["document"] = s.Document(ctx, long)
	_, notFound["person"] = s.Person(ctx, "slack", "T1", long)
	_, notFound["profile"] = ps.Profile(ctx, store.PersonKey{Platform: "slack", Workspace: "T1", User: long})
	_, notFound["request"] = ps.Request(ctx, long)
	_, notFound["round"] = ps.Round(ctx, long)
	_, notFound["track"] = n.TrackVersion(ctx, long, 0)
	_, notFound["preferences"] = n.Preferences(ctx, someone)
	_, notFound["delivery"] = n.Delivery(ctx, long)
	_, notFound["delivery in thread"] = n.DeliveryInThread(ctx, ann, long)
	notFound["publish document"] = s.PublishDocument(ctx, long)
	notFound["approve track"] = n.ApproveTrack(ctx, long)
	for what, err := range notFound {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s with an overlong id: %v, want ErrNotFound", what, err)
		}
	}
	none := map[string]func() (int, error){
		"document refs": func() (int, error) { v, err := s.DocumentRefs(ctx, long); return len(v), err },
		"chunk ids":     func() (int, error) { v, err := s.ChunkIDs(ctx, long); return len(v), err },
		"events of a user": func() (int, error) {
			v, err := s.Events(ctx, store.EventFilter{User: long})
			return len(v), err
		},
		"events of a thread": func() (int, error) {
			v, err := s.Events(ctx, store.EventFilter{Channel: "C1", Thread: long})
			return len(v), err
		},
		"statements": func() (int, error) {
			v, err := s.Statements(ctx, store.StatementFilter{User: long})
			return len(v), err
		},
		"forwarded ids": func() (int, error) {
			v, err := s.ForwardedIDs(ctx, long, long, 10)
			return len(v), err
		},
		"role grants": func() (int, error) {
			v, err := s.RoleGrants(ctx, store.RoleGrantFilter{Platform: "slack", Workspace: "T1", User: long})
			return len(v), err
		},
		"owned documents": func() (int, error) { v, err := ps.DocumentsOwnedBy(ctx, []string{long}); return len(v), err },
		"rounds":          func() (int, error) { v, err := ps.Rounds(ctx, "slack", "T1", long, 0); return len(v), err },
		"enrolments": func() (int, error) {
			v, err := n.Enrolments(ctx, store.EnrolmentFilter{Learner: &someone, TrackID: long})
			return len(v), err
		},
		"card states":       func() (int, error) { v, err := n.CardStates(ctx, someone, long); return len(v), err },
		"recent deliveries": func() (int, error) { v, err := n.RecentDeliveries(ctx, someone, 5); return len(v), err },
		"person workspaces": func() (int, error) {
			v, err := s.PersonWorkspaces(ctx, "discord", long)
			return len(v), err
		},
		"answers": func() (int, error) { v, err := n.Answers(ctx, long); return len(v), err },
		"opted out": func() (int, error) {
			out, err := s.OptedOut(ctx, long)
			if out {
				return 1, err
			}
			return 0, err
		},
	}
	for what, read := range none {
		if got, err := read(); err != nil || got != 0 {
			t.Errorf("%s with an overlong id: %d found, %v; want none", what, got, err)
		}
	}
	for what, err := range map[string]error{
		"delete documents": s.DeleteDocuments(ctx, []string{long}),
		"delete person":    ps.DeletePerson(ctx, store.PersonKey{Platform: "slack", Workspace: "T1", User: long}),
		"opt back in":      s.SetOptOut(ctx, long, false),
		"mark forwarded":   s.MarkForwarded(ctx, []string{long}),
		"release delivery": n.ReleaseDelivery(ctx, long, long, false),
		"break lock":       s.BreakLock(ctx, long, long),
		"forget": func() error {
			_, err := s.Forget(ctx, long, false)
			return err
		}(),
	} {
		if err != nil {
			t.Errorf("%s with an overlong id: %v, want nothing done and no error", what, err)
		}
	}
}
