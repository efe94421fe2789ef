package curation

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
)

const suggestUsage = "Propose content for the knowledge base: `suggest URL` (a web page or PDF) or `suggest TEXT` (what you know, in a few sentences). A curator reviews it before anyone is answered from it."

// reviewNote ends every reply to a suggestion or a save.
const reviewNote = "A curator will review it before anyone is answered from it."

// suggest stores a web page or a text as a draft in the suggestions
// collection, credited to the person suggesting it.
func (s *Service) suggest(ctx context.Context, msg bot.Message, args string) bot.Reply {
	if s.cfg.Index == nil {
		return bot.Reply{Text: "Suggestions are not set up here. Ask a curator to add the content.", Private: true}
	}
	if r, bad := checkText(args, "suggestion"); bad {
		if strings.TrimSpace(args) == "" {
			r.Text = suggestUsage
		}
		return r
	}
	if r, limited := s.overLimit(ctx, msg.Platform, msg.Workspace, msg.User); limited {
		return r
	}
	suggester := person(msg.Platform, msg.Workspace, msg.User)
	doc := store.Document{Collection: s.cfg.SuggestionsCollection, Owner: suggester, Status: store.StatusDraft, UpdatedAt: s.now()}
	var pieces []ingest.Piece
	// identity names the document (its id): the URL given, even when the
	// page is cited where it redirects, so that suggesting the URL again
	// finds the draft.
	var identity string
	if fields := strings.Fields(args); len(fields) == 1 && strings.Contains(fields[0], "://") {
		u, err := fetch.ParseURL(bareURL(fields[0]))
		if err != nil {
			return bot.Reply{Text: "I can only fetch `http` or `https` addresses without a user name or password in them: " + display(err.Error(), 300), Private: true}
		}
		if s.cfg.Reader == nil {
			return bot.Reply{Text: "Suggesting web pages is not set up here. Paste the text instead: `suggest TEXT`.", Private: true}
		}
		parsed, final, err := s.cfg.Reader.ReadURL(ctx, u.String())
		if err != nil {
			// The reason stays in the log: told to whoever suggests, a
			// connection error would describe hosts they cannot reach.
			s.log.InfoContext(ctx, "a suggested page could not be read", "url", u.String(), "err", err)
			return bot.Reply{Text: fetchProblem(err), Private: true}
		}
		if len(parsed.Chunks) == 0 {
			return bot.Reply{Text: "I fetched that page but found no text in it to keep.", Private: true}
		}
		identity = u.String()
		doc.Source, doc.Title, pieces = cmp.Or(final, identity), parsed.Title, parsed.Chunks
		doc.ContentHash = hashOf(renderPieces(pieces))
	} else {
		text := strings.TrimSpace(args)
		parsed, err := ingest.Parse("suggestion.txt", []byte(text), ingest.Options{})
		if err != nil || len(parsed.Chunks) == 0 {
			return bot.Reply{Text: "I couldn't find any text to keep in that suggestion.", Private: true}
		}
		doc.ContentHash = hashOf(text)
		// The same text suggested twice is one document.
		doc.Source = "suggestion:" + doc.ContentHash[:16]
		identity = doc.Source
		doc.Title, pieces = clip(firstLine(text), 80), parsed.Chunks
	}
	doc.ID = knowledge.DocumentID(doc.Collection, identity)
	if r, exists := s.alreadyThere(ctx, doc.ID, "suggested"); exists {
		return r
	}
	if r, failed := s.store(ctx, doc, pieces); failed {
		return r
	}
	s.recordEvent(ctx, msg, EventSuggestion, doc)
	s.audit(ctx, suggester, AuditSuggest, doc.ID, "source "+doc.Source)
	return bot.Reply{Text: fmt.Sprintf("Thanks! I saved your suggestion (%s) as a draft, credited to you. %s",
		display(orUntitled(doc.Title), 120), reviewNote), Private: true}
}

// Save implements bot.Curation: a colleague's answer and the question it
// answers become a draft "Q: … A: …", credited to the answer's author.
// The saver is recorded in the engagement log (EventSaved) and as the
// actor of the audit entry, whose detail names no one.
func (s *Service) Save(ctx context.Context, req bot.SaveRequest) bot.Reply {
	if s.cfg.Index == nil {
		return bot.Reply{Text: "Saving to knowledge is not set up here.", Private: true}
	}
	if req.AnswerByLore {
		return bot.Reply{Text: "That message is one of mine: what I answer already comes from the knowledge base. Save a colleague's reply instead.", Private: true}
	}
	if strings.TrimSpace(req.Answer) == "" {
		return bot.Reply{Text: "That message has no text I can save.", Private: true}
	}
	if strings.TrimSpace(req.Question) == "" {
		return bot.Reply{Text: "I couldn't find the question this message answers. Use *Save to knowledge* on a reply in a thread (the thread's first message is the question), or on a reply to the question.", Private: true}
	}
	question := strings.TrimSpace(strings.ToValidUTF8(req.Question, "\uFFFD"))
	answer := strings.TrimSpace(strings.ToValidUTF8(req.Answer, "\uFFFD"))
	for _, t := range []struct{ what, text string }{{"question", question}, {"answer", answer}} {
		if len(t.text) > MaxSuggestionBytes {
			return bot.Reply{Text: fmt.Sprintf("The %s is too long to save (%d bytes; at most %d). Ask a curator to add it as a document.", t.what, len(t.text), MaxSuggestionBytes), Private: true}
		}
	}
	if r, limited := s.overLimit(ctx, req.Platform, req.Workspace, req.User); limited {
		return r
	}
	author := req.AnswerAuthor
	if author == "" {
		author = req.User
	}
	body := "Q: " + question + "\n\nA: " + answer
	parsed, err := ingest.Parse("saved.txt", []byte(body), ingest.Options{})
	if err != nil || len(parsed.Chunks) == 0 {
		return bot.Reply{Text: "I couldn't find any text to keep in that message.", Private: true}
	}
	source := req.Permalink
	if source == "" {
		source = "chat:" + person(req.Platform, req.Workspace, req.Channel) + "/" + req.AnswerID
	}
	collection, r, failed := s.saveCollection(ctx, req)
	if failed {
		return r
	}
	doc := store.Document{
		Collection: collection, Source: source, Title: clip(firstLine(question), 100),
		Owner: person(req.Platform, req.Workspace, author), ContentHash: hashOf(body), UpdatedAt: s.now(), Status: store.StatusDraft,
	}
	doc.ID = knowledge.DocumentID(doc.Collection, doc.Source)
	if r, exists := s.alreadyThere(ctx, doc.ID, "saved"); exists {
		return r
	}
	if r, failed := s.store(ctx, doc, parsed.Chunks); failed {
		return r
	}
	msg := bot.Message{Platform: req.Platform, Workspace: req.Workspace, Channel: req.Channel, Thread: req.Thread, User: req.User}
	s.recordEvent(ctx, msg, EventSaved, doc)
	saver := person(req.Platform, req.Workspace, req.User)
	// The detail names no one: the author is the document's owner and
	// the saver the entry's actor, both of which forgetting a person
	// replaces by a pseudonym, which an id written here would undo.
	by := "a colleague, the document's owner"
	if author == req.User {
		by = "the saver"
	}
	s.audit(ctx, saver, AuditSave, doc.ID, fmt.Sprintf("answer by %s, source %s", by, doc.Source))
	credit := "credited to its author"
	if author == req.User {
		credit = "credited to you"
	}
	where := ""
	if collection != s.cfg.SuggestionsCollection {
		where = " This channel is not open to everyone, so once approved it answers only here."
	}
	return bot.Reply{Text: fmt.Sprintf("Saved to knowledge as a draft (%s), %s.%s %s", display(doc.Title, 120), credit, where, reviewNote), Private: true}
}

// checkText refuses text that is not valid UTF-8, empty of words, or too
// long; bad is true with the reply when it does.
func checkText(text, what string) (r bot.Reply, bad bool) {
	switch {
	case !utf8.ValidString(text):
		return bot.Reply{Text: "I couldn't read that " + what + ": it isn't valid text. Please type it again.", Private: true}, true
	case !strings.ContainsFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }):
		return bot.Reply{Text: "That " + what + " is empty.", Private: true}, true
	case len(text) > MaxSuggestionBytes:
		return bot.Reply{Text: fmt.Sprintf("That %s is too long (%d bytes; at most %d). Suggest a link to it instead, or ask a curator to add it as a document.", what, len(text), MaxSuggestionBytes), Private: true}, true
	}
	return bot.Reply{}, false
}

// overLimit reports whether the person has made SuggestionsPerDay
// suggestions and saves in the last 24 hours, counted from the engagement
// log so that every replica counts the same.
func (s *Service) overLimit(ctx context.Context, platform, workspace, user string) (bot.Reply, bool) {
	limit := s.cfg.SuggestionsPerDay
	if limit < 0 {
		return bot.Reply{}, false
	}
	since := s.now().Add(-dayWindow)
	n := 0
	for _, kind := range []string{EventSuggestion, EventSaved} {
		events, err := s.cfg.Events.Events(ctx, store.EventFilter{Kind: kind, User: user, Platform: platform, Since: since, Limit: limit + 1})
		if err != nil {
			return s.failed(ctx, "counting your suggestions", err), true
		}
		for _, e := range events {
			if e.Workspace == workspace {
				n++
			}
		}
	}
	if n >= limit {
		return bot.Reply{Text: fmt.Sprintf("You have made %d suggestions in the last day, the most I take from one person. Thank you! Please try again tomorrow, or ask a curator directly.", n), Private: true}, true
	}
	return bot.Reply{}, false
}

// alreadyThere reports whether the document exists, as a draft or
// published, and says so: storing it again as a draft would withdraw a
// published one.
func (s *Service) alreadyThere(ctx context.Context, id, verb string) (bot.Reply, bool) {
	doc, err := s.cfg.Store.Document(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return bot.Reply{}, false
	case err != nil:
		r := s.failed(ctx, "checking the knowledge base", err)
		r.Private = true
		return r, true
	case doc.Status == store.StatusDraft:
		return bot.Reply{Text: "That was already " + verb + " and is waiting for a curator (" + display(orUntitled(doc.Title), 120) + ").", Private: true}, true
	}
	return bot.Reply{Text: "That is already in the knowledge base (" + display(orUntitled(doc.Title), 120) + ").", Private: true}, true
}

// store indexes a draft; failed is true with the reply when it could not.
func (s *Service) store(ctx context.Context, doc store.Document, pieces []ingest.Piece) (bot.Reply, bool) {
	if _, err := s.cfg.Index.AddDocument(ctx, doc, pieces); err != nil {
		if errors.Is(err, store.ErrInvalidInput) {
			return bot.Reply{Text: "I couldn't keep that: " + display(err.Error(), 200), Private: true}, true
		}
		r := s.failed(ctx, "saving the draft", err)
		r.Private = true
		return r, true
	}
	return bot.Reply{}, false
}

func (s *Service) recordEvent(ctx context.Context, msg bot.Message, kind string, doc store.Document) {
	e := store.Event{ID: s.cfg.NewID(), Time: s.now(), Kind: kind, Platform: msg.Platform, Workspace: msg.Workspace,
		Channel: msg.Channel, Thread: msg.Thread, User: msg.User, Direct: msg.Direct, Ref: doc.ID, Question: clip(doc.Title, 200)}
	if err := s.cfg.Events.RecordEvent(ctx, e); err != nil {
		s.log.WarnContext(ctx, "recording a suggestion failed", "kind", kind, "err", err)
	}
}

// fetchProblem says why a suggested page could not be read, without
// internal detail beyond the address.
func fetchProblem(err error) string {
	var status *fetch.StatusError
	switch {
	case errors.Is(err, fetch.ErrBlockedAddress):
		return "That address is inside the company network or reserved, so I won't fetch it. Paste the text instead: `suggest TEXT`."
	case errors.Is(err, fetch.ErrTooLarge):
		return "That page is too large for me to fetch (over 10 MiB)."
	case errors.As(err, &status):
		return fmt.Sprintf("I couldn't fetch that page: the site answered HTTP %d.", status.Code)
	case errors.Is(err, ingest.ErrUnsupported), errors.Is(err, ingest.ErrBinary), errors.Is(err, ingest.ErrMalformed):
		return "I fetched that address but couldn't read it as a web page, PDF or text file."
	case errors.Is(err, fetch.ErrDisallowed):
		return "That address redirects to another host whose robots.txt keeps me out, so I won't fetch it. Paste the text instead: `suggest TEXT`."
	case errors.Is(err, fetch.ErrTooManyRedirects), errors.Is(err, fetch.ErrRedirectLoop):
		return "That address redirects too many times (or in a loop) for me to follow."
	case errors.Is(err, context.DeadlineExceeded):
		return "That page took too long to fetch. Please try again later."
	}
	return "I couldn't fetch that page: the site could not be reached or did not answer properly. Paste the text instead: `suggest TEXT`."
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func renderPieces(pieces []ingest.Piece) string {
	var b strings.Builder
	for _, p := range pieces {
		b.WriteString(p.Heading)
		b.WriteString("\n")
		b.WriteString(p.Text)
		b.WriteString("\n")
	}
	return b.String()
}
