package curation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/knowledge/sources"
	"github.com/lorehq/lore/store"
)

// sources lists the sources with their collection, documents and last
// sync.
func (s *Service) sources(ctx context.Context) bot.Reply {
	list, err := s.cfg.Store.ListSources(ctx)
	if err != nil {
		return s.failed(ctx, "listing the sources", err)
	}
	if len(list) == 0 {
		return bot.Reply{Text: "No sources yet. Add a web page with `add URL [COLLECTION]`."}
	}
	lines := []string{fmt.Sprintf("**Sources** (%d)", len(list))}
	for i, src := range list {
		if i == maxListed {
			lines = append(lines, fmt.Sprintf("… and %d more: `lore sources` lists them all.", len(list)-maxListed))
			break
		}
		lines = append(lines, fmt.Sprintf("- `%s` · %s · collection %s · %s · %d %s · last sync %s · %s",
			display(src.Name, 64), src.Kind, display(src.Collection, 64), sources.Schedule(src.Every), src.Status.Documents,
			plural(src.Status.Documents, "document", "documents"), when(src.Status.LastSync), state(src.Status)))
	}
	return bot.Reply{Text: strings.Join(lines, "\n")}
}

// setUsage is the syntax of "sources set".
const setUsage = "Usage: `sources set NAME every 1h` (or `7d`, or `0` for only when asked), `sources set NAME review 180d` (or `0` for none), " +
	"`sources set NAME approval on` (or `off`), or several at once: `sources set NAME every 1h approval on`. " +
	"The owner and the audience are changed with `lore sources set` on the server."

// setWords are the settings "sources set NAME WORD VALUE" changes from
// chat; serverOnly are those it leaves to 'lore sources set', and fixed
// those no source can change.
var (
	setWords   = []string{"every", "review", "approval"}
	serverOnly = []string{"owner", "audience"}
	fixed      = []string{"kind", "location", "collection", "url"}
)

// isSetCommand tells "sources set NAME WORD ..." (or a bare "sources set"
// or "sources set NAME", answered with the syntax) from a question that
// happens to start with those words.
func isSetCommand(fields []string, args string) bool {
	if len(fields) == 0 || !strings.EqualFold(fields[0], "set") || strings.Contains(args, "?") {
		return false
	}
	if len(fields) <= 2 {
		return true
	}
	word := strings.ToLower(fields[2])
	return slices.Contains(setWords, word) || slices.Contains(serverOnly, word) || slices.Contains(fixed, word)
}

// setSource changes a source's schedule, review interval or approval rule
// in place, as 'lore sources set' does: fields are NAME then WORD VALUE
// pairs.
func (s *Service) setSource(ctx context.Context, msg bot.Message, fields []string) bot.Reply {
	if len(fields) < 3 || len(fields)%2 == 0 {
		return bot.Reply{Text: setUsage}
	}
	name := fields[0]
	var u store.SourceUpdate
	seen := map[string]bool{}
	for i := 1; i < len(fields); i += 2 {
		word, value := strings.ToLower(fields[i]), fields[i+1]
		if seen[word] {
			return bot.Reply{Text: "`" + display(word, 20) + "` is given twice. " + setUsage}
		}
		seen[word] = true
		switch {
		case slices.Contains(fixed, word):
			return bot.Reply{Text: "A source's kind, location and collection cannot change: its documents were read from there. " +
				"Remove it with `lore sources remove " + display(name, 64) + "` (which removes its documents) and add it again."}
		case slices.Contains(serverOnly, word):
			return bot.Reply{Text: "The owner and the audience of a source are changed with `lore sources set " + display(name, 64) + " --" + word + " ...` on the server."}
		case word == "every" || word == "review":
			d, err := chatPeriod(value)
			if err != nil {
				return bot.Reply{Text: display(err.Error(), 200) + " " + setUsage}
			}
			if word == "every" {
				u.Every = &d
			} else {
				u.ReviewEvery = &d
			}
		case word == "approval":
			on, ok := onOff(value)
			if !ok {
				return bot.Reply{Text: "`approval` is `on` or `off`, not `" + display(value, 20) + "`."}
			}
			u.Approval = &on
		default:
			return bot.Reply{Text: "I can't set `" + display(word, 20) + "`. " + setUsage}
		}
	}
	before, after, err := s.cfg.Store.UpdateSource(ctx, name, u)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return bot.Reply{Text: "There is no source `" + display(name, 64) + "`. `sources` lists them."}
	case errors.Is(err, store.ErrInvalidInput):
		return bot.Reply{Text: "I can't set that: " + display(invalidReason(err), 300)}
	case err != nil:
		return s.failed(ctx, "changing the source", err)
	}
	changes := sources.Changes(before, after)
	if len(changes) == 0 {
		return bot.Reply{Text: "Source `" + display(name, 64) + "` already has these settings."}
	}
	detail := strings.Join(changes, ", ")
	s.audit(ctx, person(msg.Platform, msg.Workspace, msg.User), AuditUpdateSource, after.Name, detail)
	schedule := "It is synced only when asked (`lore sources sync " + display(after.Name, 64) + "`)."
	if after.Every > 0 {
		schedule = "It is re-synced every " + sources.Every(after.Every) + ", from the next minute on."
	}
	return bot.Reply{Text: "Changed source `" + display(after.Name, 64) + "`: " + display(detail, 500) + ". " + schedule}
}

// chatPeriod reads a schedule or review interval: 0 for none, a number of
// days or weeks (7d, 26w) or a Go duration (1h, 90m).
func chatPeriod(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s[:len(s)-1]); err == nil && (strings.HasSuffix(s, "d") || strings.HasSuffix(s, "w")) {
		if strings.HasSuffix(s, "w") {
			n *= 7
		}
		if n <= 0 || n > 3660 {
			return 0, fmt.Errorf("%q: want between 1 day and 10 years.", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a period such as 1h, 7d or 0.", s)
	}
	return d, nil
}

func onOff(s string) (on, ok bool) {
	switch strings.ToLower(s) {
	case "on", "true", "yes":
		return true, true
	case "off", "false", "no":
		return false, true
	}
	return false, false
}

// invalidReason is a store's refusal without the operation before it
// ('update source "x": invalid input: ...').
func invalidReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "invalid input: "); i >= 0 {
		return msg[i+len("invalid input: "):]
	}
	return msg
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// state is how the last sync went, its error shortened.
func state(st store.SourceStatus) string {
	switch {
	case st.LastSync.IsZero():
		return "not synced yet"
	case st.LastError == "":
		return "ok"
	case st.LastSuccess.Before(st.LastSync):
		return "failed: " + display(st.LastError, 200)
	}
	return "warning: " + display(st.LastError, 200)
}

// addKinds are the kinds "add KIND URL" may name; without one the kind is
// guessed from the address.
var addKinds = []string{store.SourceURL, store.SourceSitemap, store.SourceSite, store.SourceFeed}

// add registers a web page (or a sitemap or feed, told by its address as
// 'lore sources add' tells them, or a kind given before the address) as a
// source and queues its first sync.
func (s *Service) add(ctx context.Context, msg bot.Message, kind string, fields []string) bot.Reply {
	if s.cfg.Sources == nil {
		return bot.Reply{Text: "Adding sources from chat is not set up here. Use `lore sources add` on the server."}
	}
	u, err := fetch.ParseURL(fields[0])
	if err != nil {
		return bot.Reply{Text: "I can only add `http` or `https` addresses without a user name or password in them: " + display(err.Error(), 300)}
	}
	collection := knowledge.DefaultCollection
	if len(fields) == 2 {
		collection = fields[1]
		if store.CheckCollectionName(collection) != nil {
			return bot.Reply{Text: fmt.Sprintf("A collection name is 1 to %d letters, digits, `.`, `_` or `-`, starting with a letter or digit. Usage: `add URL [COLLECTION]`.", store.MaxCollectionName)}
		}
	}
	curator := person(msg.Platform, msg.Workspace, msg.User)
	if kind == "" {
		kind = guessKind(u)
	}
	src := store.Source{Kind: kind, Location: u.String(), Collection: collection, Owner: curator, Every: syncEvery}
	base := sourceName(u)
	for i := 1; ; i++ {
		src.Name = base
		if i > 1 {
			src.Name = fmt.Sprintf("%s-%d", clip(base, 60), i)
		}
		err = s.cfg.Sources.AddSource(ctx, src)
		if !errors.Is(err, store.ErrSourceExists) || i == 20 {
			break
		}
	}
	switch {
	case errors.Is(err, store.ErrSourceExists):
		return bot.Reply{Text: "Too many sources have a name like " + "`" + base + "`" + " already. Add this one with `lore sources add NAME URL`."}
	case errors.Is(err, store.ErrInvalidInput):
		return bot.Reply{Text: "I can't add that source: " + display(err.Error(), 300)}
	case err != nil:
		return s.failed(ctx, "adding the source", err)
	}
	s.audit(ctx, curator, AuditAddSource, src.Name, fmt.Sprintf("%s %s into collection %s", src.Kind, src.Location, src.Collection))
	added := fmt.Sprintf("Added source `%s` (%s %s) into collection %s, re-synced daily.", src.Name, src.Kind,
		display(src.Location, 500), display(collection, 64))
	if err := s.cfg.Sources.QueueSync(ctx, src.Name); err != nil {
		s.log.WarnContext(ctx, "queueing a source's first sync failed", "source", src.Name, "err", err)
		return bot.Reply{Text: added + " I couldn't queue its first sync just now: run `lore sources sync " + src.Name + "`, or it syncs when `lore serve` next starts."}
	}
	return bot.Reply{Text: added + " Its first sync is queued; `sources` shows how it went. Addresses inside the company network are refused unless LORE_FETCH_ALLOW names them."}
}

// guessKind tells a sitemap or a feed by its address, as 'lore sources
// add' does; anything else is one page.
func guessKind(u *url.URL) string {
	lower := strings.ToLower(u.Path + "?" + u.RawQuery)
	switch {
	case strings.Contains(lower, "sitemap"):
		return store.SourceSitemap
	case strings.Contains(lower, "feed") || strings.Contains(lower, "rss") || strings.Contains(lower, "atom"):
		return store.SourceFeed
	}
	return store.SourceURL
}

var notNameChars = regexp.MustCompile(`[^a-z0-9]+`)

// sourceName makes a source name from an address: its host and path in
// lower-case letters and digits joined by '-', at most 60 characters.
func sourceName(u *url.URL) string {
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	name := strings.Trim(notNameChars.ReplaceAllString(host+"/"+strings.ToLower(u.Path), "-"), "-")
	if len(name) > 60 {
		name = strings.TrimRight(name[:60], "-")
	}
	if name == "" {
		name = "source"
	}
	return name
}

// gaps lists the most asked questions Lore could not answer.
func (s *Service) gaps(ctx context.Context) bot.Reply {
	notConfident := false
	events, err := s.cfg.Events.Events(ctx, store.EventFilter{Kind: store.EventAnswer, Confident: &notConfident})
	if err != nil {
		return s.failed(ctx, "reading the unanswered questions", err)
	}
	qs := make([]knowledge.Unanswered, 0, len(events))
	for _, e := range events {
		if e.Question != "" {
			qs = append(qs, knowledge.Unanswered{Question: e.Question, Time: e.Time})
		}
	}
	gaps := knowledge.Gaps(qs)
	if len(gaps) == 0 {
		return bot.Reply{Text: "No content gaps: every question so far had an answer."}
	}
	const top = 10
	lines := []string{fmt.Sprintf("**Content gaps**: the questions I could not answer, most asked first (%d in all).", len(gaps))}
	for i, g := range gaps {
		if i == top {
			lines = append(lines, "`lore gaps` lists the rest.")
			break
		}
		lines = append(lines, fmt.Sprintf("- %d× %s (last asked %s)", g.Count, display(g.Question, 200), g.LastAsked.UTC().Format("2006-01-02")))
	}
	lines = append(lines, "", "Add content that answers them, or `suggest` it; `add URL` registers a page.")
	return bot.Reply{Text: strings.Join(lines, "\n")}
}

// drafts lists the documents waiting for approval.
func (s *Service) drafts(ctx context.Context) bot.Reply {
	drafts, err := s.cfg.Store.Drafts(ctx)
	if err != nil {
		return s.failed(ctx, "listing the drafts", err)
	}
	if len(drafts) == 0 {
		return bot.Reply{Text: "No drafts: every document is published."}
	}
	lines := []string{fmt.Sprintf("**Drafts waiting for approval** (%d)", len(drafts))}
	for i, d := range drafts {
		if i == maxListed {
			lines = append(lines, fmt.Sprintf("… and %d more: `lore drafts` lists them all.", len(drafts)-maxListed))
			break
		}
		by := ""
		if d.Owner != "" {
			by = " · by " + display(d.Owner, 100)
		}
		lines = append(lines, fmt.Sprintf("- `%s` · %s · %s%s · %s", d.ID, display(d.Collection, 64),
			display(orUntitled(d.Title), 120), by, display(d.Source, 200)))
	}
	lines = append(lines, "", "Publish one with `approve ID`.")
	return bot.Reply{Text: strings.Join(lines, "\n")}
}

func orUntitled(t string) string {
	if strings.TrimSpace(t) == "" {
		return "(untitled)"
	}
	return t
}

// approve publishes a draft named by its id or its source, as 'lore
// approve' does.
func (s *Service) approve(ctx context.Context, msg bot.Message, arg string) bot.Reply {
	drafts, err := s.cfg.Store.Drafts(ctx)
	if err != nil {
		return s.failed(ctx, "listing the drafts", err)
	}
	id := arg
	for _, d := range drafts {
		if d.Source == arg {
			id = d.ID
		}
	}
	doc, err := s.cfg.Store.Document(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return bot.Reply{Text: "There is no document " + "`" + display(arg, 100) + "`" + ". `approve` lists the drafts with their ids."}
	}
	if err != nil {
		return s.failed(ctx, "finding the document", err)
	}
	if doc.Status == store.StatusPublished {
		return bot.Reply{Text: fmt.Sprintf("`%s` (%s) is already published.", doc.ID, display(orUntitled(doc.Title), 120))}
	}
	if err := s.cfg.Store.PublishDocument(ctx, doc.ID); err != nil {
		return s.failed(ctx, "publishing the document", err)
	}
	s.audit(ctx, person(msg.Platform, msg.Workspace, msg.User), AuditApprove, doc.ID,
		fmt.Sprintf("collection %s, source %s", doc.Collection, doc.Source))
	return bot.Reply{Text: fmt.Sprintf("Published `%s` (%s) in collection %s: answers may cite it now.",
		doc.ID, display(orUntitled(doc.Title), 120), display(doc.Collection, 64))}
}

// failed logs an unexpected error and says so without its details.
func (s *Service) failed(ctx context.Context, what string, err error) bot.Reply {
	s.log.ErrorContext(ctx, what+" failed", "err", err)
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return bot.Reply{Text: "I can't reach the knowledge base right now. Please try again in a minute."}
	}
	return bot.Reply{Text: "Something went wrong while " + what + ". Please try again; if it keeps happening, tell an admin."}
}
