// Package cards drafts review cards from knowledge documents, so that
// curators need not write every quiz by hand. Without a language model
// each card is a cloze: a key sentence of a document with its most telling
// figure or term blanked out, the blank's answer among distractors drawn
// from the same collection. With a model, the model writes a question from
// a passage, and a cloze stands in whenever its answer is unusable.
//
// The result is the Markdown of a draft track, parsed by nudges/track like
// any curator's file. A draft reaches no learner until a curator approves
// it (lore tracks approve), and its card ids are derived from the source
// sentences, so drafting again after an edit keeps learners' progress on
// the cards that did not change.
package cards

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
)

// Documents is what drafting reads of the knowledge base: the
// collection's documents, and its audience, which the drafted track takes.
type Documents interface {
	ListCollections(ctx context.Context) ([]store.Collection, error)
	DocumentRefs(ctx context.Context, collection string) ([]store.DocumentRef, error)
	Document(ctx context.Context, id string) (store.Document, error)
	ChunkIDs(ctx context.Context, docID string) ([]int64, error)
	Chunks(ctx context.Context, ids []int64) ([]store.ChunkView, error)
}

// Model writes questions; knowledge/llm's Chat satisfies it.
type Model interface {
	Complete(ctx context.Context, msgs []knowledge.ChatMessage, onDelta func(delta string)) (string, error)
}

// Options says what to draft from.
type Options struct {
	// Collection is the collection whose documents are drafted from.
	Collection string
	// DocIDs, when set, limits drafting to these documents of it.
	DocIDs []string
	// PerDocument is the most cards drafted from one document. Default 2.
	PerDocument int
	// Model, when set, writes the questions; cloze cards are drafted
	// where it fails.
	Model Model
	// TrackID names the draft track. Default "review-" + Collection.
	TrackID string
}

// Result is a drafted track.
type Result struct {
	// Markdown is the track file: a curator may edit it and load it with
	// lore tracks load.
	Markdown []byte
	// Track is Markdown parsed: a draft.
	Track track.Track
	// Documents is how many documents gave at least one card.
	Documents int
	// ByModel counts the cards the model wrote; the rest are cloze cards.
	ByModel int
	// ModelFailures counts passages whose model question was unusable.
	ModelFailures int
	// Skipped lists documents that gave no card: no sentence with a
	// figure or a distinctive term, or too little text for distractors.
	Skipped []string
}

// ErrInvalid means the request cannot be drafted: no such collection,
// documents outside it, a bad track id, or no document that gave a card.
var ErrInvalid = errors.New("cannot draft review cards")

// Limits on what becomes a card.
const (
	minSentenceChars = 40
	maxSentenceChars = 300
	minSentenceWords = 6
	distractors      = 3
	maxModelPassage  = 2000
)

// Draft drafts review cards from the documents of o.Collection.
func Draft(ctx context.Context, docs Documents, o Options) (Result, error) {
	if o.Collection == "" {
		return Result{}, fmt.Errorf("%w: name a collection", ErrInvalid)
	}
	if o.PerDocument <= 0 {
		o.PerDocument = 2
	}
	if o.TrackID == "" {
		o.TrackID = "review-" + o.Collection
	}
	if track.Slug(o.TrackID) != o.TrackID {
		return Result{}, fmt.Errorf("%w: track id %q: use lower-case letters, digits and dashes", ErrInvalid, o.TrackID)
	}
	refs, err := docs.DocumentRefs(ctx, o.Collection)
	if err != nil {
		return Result{}, fmt.Errorf("draft review cards: %w", err)
	}
	if len(o.DocIDs) > 0 {
		refs = slices.DeleteFunc(refs, func(r store.DocumentRef) bool { return !slices.Contains(o.DocIDs, r.ID) })
		if len(refs) < len(o.DocIDs) {
			return Result{}, fmt.Errorf("%w: some documents are not in collection %q", ErrInvalid, o.Collection)
		}
	}
	if len(refs) == 0 {
		return Result{}, fmt.Errorf("%w: collection %q has no documents", ErrInvalid, o.Collection)
	}
	aud, err := collectionAudience(ctx, docs, o.Collection)
	if err != nil {
		return Result{}, err
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].ID < refs[j].ID })

	corpus := make([]docText, 0, len(refs))
	for _, r := range refs {
		d, err := loadDoc(ctx, docs, r.ID)
		if err != nil {
			return Result{}, fmt.Errorf("draft review cards: %w", err)
		}
		// A draft document is answered from by nobody until approved;
		// its text makes no card either.
		if d.doc.Status == store.StatusDraft {
			continue
		}
		corpus = append(corpus, d)
	}
	if len(corpus) == 0 {
		return Result{}, fmt.Errorf("%w: collection %q has no published documents", ErrInvalid, o.Collection)
	}
	pool := newAnswerPool(corpus)

	var res Result
	var cards []card
	for _, d := range corpus {
		var got []card
		if o.Model != nil {
			c, err := modelCard(ctx, o.Model, d)
			if err == nil {
				got = append(got, c)
				res.ByModel++
			} else {
				if ctx.Err() != nil {
					return Result{}, ctx.Err()
				}
				res.ModelFailures++
			}
		}
		for _, c := range clozeCards(d, pool, o.PerDocument) {
			if len(got) == o.PerDocument {
				break
			}
			got = append(got, c)
		}
		if len(got) == 0 {
			res.Skipped = append(res.Skipped, d.doc.ID)
			continue
		}
		res.Documents++
		cards = append(cards, got...)
	}
	if len(cards) == 0 {
		return res, fmt.Errorf("%w: no document of collection %q has a sentence a card can be made from", ErrInvalid, o.Collection)
	}
	res.Markdown = render(o, aud, cards)
	t, err := track.Parse(o.TrackID+".md", res.Markdown)
	if err != nil {
		// A drafted card the parser refuses is a bug here, not bad input.
		return Result{}, fmt.Errorf("draft review cards: the drafted track does not parse: %w", err)
	}
	res.Track = t
	return res, nil
}

// docText is a document and its text, chunk by chunk.
type docText struct {
	doc    store.Document
	chunks []store.ChunkView
}

func loadDoc(ctx context.Context, docs Documents, id string) (docText, error) {
	doc, err := docs.Document(ctx, id)
	if err != nil {
		return docText{}, fmt.Errorf("document %s: %w", id, err)
	}
	ids, err := docs.ChunkIDs(ctx, id)
	if err != nil {
		return docText{}, fmt.Errorf("document %s: %w", id, err)
	}
	chunks, err := docs.Chunks(ctx, ids)
	if err != nil {
		return docText{}, fmt.Errorf("document %s: %w", id, err)
	}
	return docText{doc: doc, chunks: chunks}, nil
}

// card is one drafted quiz.
type card struct {
	id, title, question string
	options             []string
	correct             []int
	explanation, source string
}

// collectionAudience is the audience of a collection: everyone without
// settings. One that does not parse is refused, since nobody could tell
// whom the cards are for.
func collectionAudience(ctx context.Context, docs Documents, collection string) (audience.Audience, error) {
	cs, err := docs.ListCollections(ctx)
	if err != nil {
		return audience.Audience{}, fmt.Errorf("draft review cards: %w", err)
	}
	for _, c := range cs {
		if c.Name != collection {
			continue
		}
		a, err := audience.Parse(c.Audience)
		if err != nil {
			return audience.Audience{}, fmt.Errorf("%w: collection %q: %v; set it again with lore collections set", ErrInvalid, collection, err)
		}
		return a, nil
	}
	return audience.Audience{Everyone: true}, nil
}

// render writes cards as a draft track file. The track's audience is the
// collection's, so that its text reaches nobody the collection would not
// answer.
func render(o Options, aud audience.Audience, cards []card) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "---\nid: %s\ntitle: %s\ndescription: %s\n", o.TrackID, yamlString("Review: "+o.Collection),
		yamlString("Review questions drafted from the "+o.Collection+" collection; check each before approving."))
	if !aud.Everyone {
		fmt.Fprintf(&b, "audience: %s\n", yamlString(aud.String()))
	}
	b.WriteString("cadence: every 2 days\ntags: [review, generated]\ndraft: true\n---\n")
	for _, c := range cards {
		fmt.Fprintf(&b, "\n## quiz: %s {#%s}\n\n%s\n\n", oneLine(c.title), c.id, c.question)
		for i, opt := range c.options {
			mark := " "
			if slices.Contains(c.correct, i) {
				mark = "x"
			}
			fmt.Fprintf(&b, "- [%s] %s\n", mark, oneLine(opt))
		}
		fmt.Fprintf(&b, "\nExplanation: %s\nSource: %s\n", oneLine(c.explanation), oneLine(c.source))
	}
	return []byte(b.String())
}

// yamlString quotes s for the front matter.
func yamlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ").Replace(s) + `"`
}

// oneLine keeps text on one line and out of the track syntax: no line
// breaks, no "{#" that would read as a card id.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "{#", "{ #")
}

// cardID is stable for a document and the sentence a card came from.
func cardID(docID, basis string) string {
	h := fnv.New32a()
	h.Write([]byte(docID + "\x00" + basis))
	slug := track.Slug(docID)
	if len(slug) > 30 {
		slug = strings.Trim(slug[:30], "-")
	}
	return fmt.Sprintf("gen-%s-%08x", slug, h.Sum32())
}

// shuffle orders options by a hash of the card, so that the correct one is
// not always first and a redraft orders them the same way.
func shuffle(id string, options []string, correct int) ([]string, int) {
	type opt struct {
		text string
		key  uint32
		ok   bool
	}
	opts := make([]opt, len(options))
	for i, o := range options {
		h := fnv.New32a()
		h.Write([]byte(id + "\x00" + o))
		opts[i] = opt{o, h.Sum32(), i == correct}
	}
	sort.Slice(opts, func(i, j int) bool { return opts[i].key < opts[j].key })
	out := make([]string, len(opts))
	at := 0
	for i, o := range opts {
		out[i] = o.text
		if o.ok {
			at = i
		}
	}
	return out, at
}

var (
	mdLinkRE   = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdMarkRE   = regexp.MustCompile("[*_`]+")
	listMarkRE = regexp.MustCompile(`^(?:[-*+]|\d+[.)])\s+`)
)

// plain strips the Markdown a sentence may carry.
func plain(s string) string {
	s = mdLinkRE.ReplaceAllString(s, "$1")
	s = mdMarkRE.ReplaceAllString(s, "")
	s = listMarkRE.ReplaceAllString(strings.TrimSpace(s), "")
	return strings.Join(strings.Fields(s), " ")
}

// usableSentence reports whether s can carry a card: long enough to say
// something, short enough to read on a phone, a statement.
func usableSentence(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < minSentenceChars || n > maxSentenceChars || strings.HasSuffix(s, "?") || strings.HasSuffix(s, ":") {
		return false
	}
	if strings.HasPrefix(s, "#") || strings.HasPrefix(s, "|") || strings.Contains(s, "____") {
		return false
	}
	return len(strings.Fields(s)) >= minSentenceWords
}

// idf weighs a term by its rarity across the collection's sentences.
func idf(df map[string]int, n int, term string) float64 {
	return math.Log(1 + float64(n)/float64(1+df[term]))
}
