// Package bot is Lore's core: it takes platform-neutral messages and button
// presses from any adapter, routes them to a capability, records the
// engagement, and returns a platform-neutral reply.
//
// The core never knows which adapter it talks to; adapters depend on this
// package, never the other way round.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// Knowledge is the question-answering capability as the core uses it.
type Knowledge interface {
	Ask(ctx context.Context, question string) (knowledge.Answer, error)
}

// StreamingKnowledge is a Knowledge that also takes a conversation's
// history (to condense follow-ups) and streams an answer while it is
// written, within the part of the knowledge base the asker may see.
// knowledge.Service is one. A Knowledge without it answers from every
// document, so it answers only askers who may see them all (the operator,
// or anyone where no audience and no channel limit applies); anyone else
// is told that answers are not available there.
type StreamingKnowledge interface {
	Knowledge
	AskWith(ctx context.Context, req knowledge.AskRequest) (knowledge.Answer, error)
}

var _ StreamingKnowledge = (*knowledge.Service)(nil)

// Audiences says what someone asking in one place may be answered from:
// the collections whose audience admits them there, within the channel's
// collection limit. knowledge.Service is one. A StreamingKnowledge that is
// not answers within the channel's limit alone.
type Audiences interface {
	Scope(ctx context.Context, reader audience.Reader, limit []string) (store.Scope, error)
}

var _ Audiences = (*knowledge.Service)(nil)

// EventLog is where the core records engagement.
type EventLog interface {
	RecordEvent(ctx context.Context, e store.Event) error
	Events(ctx context.Context, f store.EventFilter) ([]store.Event, error)
}

// Peers is the peer capability (bot/peers) as the core routes to it:
// profiles, finding a person who knows, pairing rounds.
type Peers interface {
	// Command handles "profile ..." and "connect ..."; cmd is the command
	// word in lower case, args the text after it.
	Command(ctx context.Context, msg Message, cmd, args string) Reply
	// Connect finds colleagues who know topic, as "connect TOPIC" does,
	// for a request in words ("who knows TOPIC?"): topic is text, never
	// read as a subcommand such as "rounds".
	Connect(ctx context.Context, msg Message, topic string) Reply
	// Action handles the buttons the peer capability put on its replies;
	// ok is false for a button it does not own.
	Action(ctx context.Context, a Action) (reply Reply, ok bool)
	// AskPerson handles "Ask a person" on an answer: a.Value is the id of
	// the answer event, whose question is routed to people who know.
	AskPerson(ctx context.Context, a Action) Reply
	// Offer returns a line offering to find a person when Lore could not
	// answer question, or "" when nobody suitable is known.
	Offer(ctx context.Context, msg Message, question string) string
}

// Learning is the micro-learning capability (package nudges): the chat
// commands it owns (learn, nudge, nudges, answer, reflect), its quiz
// buttons, and replies in the thread of a nudge (a reflection's answer).
// ok is false for anything else.
type Learning interface {
	HandleCommand(ctx context.Context, msg Message, cmd, args string) (r Reply, ok bool)
	HandleAction(ctx context.Context, a Action) (r Reply, ok bool)
	HandleThreadReply(ctx context.Context, msg Message) (r Reply, ok bool)
}

// Privacy is the analytics-privacy capability (bot/engagement): what Lore
// keeps about the person speaking, opting out of analytics and back in,
// and forgetting them, with its confirmation buttons. ok is false for
// anything else.
type Privacy interface {
	HandleCommand(ctx context.Context, msg Message, cmd, args string) (r Reply, ok bool)
	HandleAction(ctx context.Context, a Action) (r Reply, ok bool)
}

// Curation is the curation capability (bot/curation): the curators'
// commands (sources, sources set, add, gaps, approve), suggestions from anyone
// (suggest), and "Save to knowledge" on a colleague's answer. ok is false
// for a command it does not own.
type Curation interface {
	HandleCommand(ctx context.Context, msg Message, cmd, args string) (r Reply, ok bool)
	Save(ctx context.Context, req SaveRequest) Reply
}

// Config wires a Bot. Knowledge and Events are required.
type Config struct {
	Knowledge Knowledge
	Events    EventLog
	Learning  Learning         // optional
	Logger    *slog.Logger     // default: slog.Default()
	Clock     func() time.Time // default: time.Now
	NewID     func() string    // default: random UUIDs

	// Peers, when set, adds the profile and connect commands and routes
	// "Ask a person" to people. Default nil: no peer capability.
	Peers Peers
	// Onboarding, when set, is told of people joining (HandleJoin).
	// Default nil: joins are ignored.
	Onboarding Onboarding

	// Directory gives askers their roles and groups, against which
	// collection audiences and role-restricted commands are checked
	// (HasRole). Default nil: everyone is a learner in no group. When it
	// is a RoleAdmin (audience.RoleDirectory), admins also get the role
	// commands: roles, role grant, role revoke.
	Directory audience.Directory

	// Privacy, when set, adds the privacy, optout, optin and forget me
	// commands. Default nil: none.
	Privacy Privacy

	// Curation, when set, adds the curation commands and "Save to
	// knowledge" (HandleSave). Default nil: none.
	Curation Curation
}

// Bot routes messages and actions to capabilities.
type Bot struct {
	knowledge Knowledge
	events    EventLog
	peers     Peers
	learning  Learning
	directory audience.Directory
	privacy   Privacy
	curation  Curation
	log       *slog.Logger
	now       func() time.Time
	newID     func() string
	// onboarding hears of joins (join.go).
	onboarding Onboarding
}

// New returns a Bot.
func New(cfg Config) (*Bot, error) {
	if cfg.Knowledge == nil || cfg.Events == nil {
		return nil, errors.New("bot: Knowledge and Events are required")
	}
	b := &Bot{knowledge: cfg.Knowledge, events: cfg.Events, peers: cfg.Peers, learning: cfg.Learning, directory: cfg.Directory, privacy: cfg.Privacy, log: cfg.Logger, now: cfg.Clock, newID: cfg.NewID}
	b.onboarding = cfg.Onboarding
	b.curation = cfg.Curation
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.newID == nil {
		b.newID = func() string { return uuid.NewString() }
	}
	return b, nil
}

// HandleMessage routes a message: a command when its first word names one,
// a request for a colleague when it asks "who knows TOPIC?" and peers are
// on, otherwise a question.
func (b *Bot) HandleMessage(ctx context.Context, msg Message) Reply {
	return b.handle(ctx, msg, nil)
}

func (b *Bot) handle(ctx context.Context, msg Message, stream StreamFunc) Reply {
	text := strings.TrimSpace(msg.Text)
	// The first word ends at any white space: "ask" then a new line is
	// still the ask command.
	cmd, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		cmd, rest = text[:i], text[i:]
	}
	if b.privacy != nil {
		if r, ok := b.privacy.HandleCommand(ctx, msg, strings.ToLower(cmd), rest); ok {
			return r
		}
	}
	if b.learning != nil {
		if r, ok := b.learning.HandleCommand(ctx, msg, strings.ToLower(cmd), rest); ok {
			return r
		}
		// Whatever its first word, a direct reply in a nudge's thread may
		// be the answer to its reflection.
		if msg.Direct && msg.Thread != "" {
			if r, ok := b.learning.HandleThreadReply(ctx, msg); ok {
				return r
			}
		}
	}
	if b.curation != nil {
		if r, ok := b.curation.HandleCommand(ctx, msg, strings.ToLower(cmd), rest); ok {
			return r
		}
	}
	if r, ok := b.roleCommand(ctx, msg, strings.ToLower(cmd), rest); ok {
		return r
	}
	switch strings.ToLower(cmd) {
	case "help", "?":
		r := helpReply()
		if b.learning != nil {
			r.Text += learningHelp
		}
		if b.peers != nil {
			r.Text += peersHelp
		}
		if b.privacy != nil {
			r.Text += privacyHelp
		}
		if b.curation != nil {
			r.Text += curationHelp
		}
		if _, ok := b.directory.(RoleAdmin); ok {
			r.Text += "\n\nAdmins:\n- " + rolesUsage
		}
		return r
	case "profile", "connect":
		if b.peers != nil {
			return b.peers.Command(ctx, msg, strings.ToLower(cmd), strings.TrimSpace(rest))
		}
	case "ask":
		msg.Text = strings.TrimSpace(rest)
		return b.ask(ctx, msg, stream)
	case "feedback":
		return b.feedbackText(ctx, msg, strings.TrimSpace(rest))
	case "+1", "👍", "-1", "👎":
		return b.feedbackText(ctx, msg, cmd)
	}
	if b.peers != nil {
		if topic, ok := whoKnowsTopic(text); ok {
			// "Who knows the wifi password?" wants the password more than a
			// person: when nobody is known for the topic, a confident
			// answer from the knowledge base is given instead.
			if b.peers.Offer(ctx, msg, topic) == "" {
				if r, ok := b.answerIfKnown(ctx, msg); ok {
					return r
				}
			}
			return b.peers.Connect(ctx, msg, topic)
		}
	}
	return b.ask(ctx, msg, stream)
}

// HandleSave is the entry point of "Save to knowledge" (a Slack message
// shortcut, a Discord context-menu command): the curation capability
// stores the question and answer as a draft. The reply is for the saver
// alone.
func (b *Bot) HandleSave(ctx context.Context, req SaveRequest) Reply {
	if b.curation == nil {
		return Reply{Text: "Saving to knowledge is not set up here. Ask an admin to turn curation on.", Private: true}
	}
	r := b.curation.Save(ctx, req)
	r.Private = true
	return r
}

// HandleMessageStream is HandleMessage for adapters that can show a reply
// while it is written: stream receives the text so far whenever it grows,
// as the language model writes it. The returned Reply is final and
// complete either way, and its text may differ from the last streamed one
// (a note on a fallback, a refusal); an answer that is not streamed (the
// extractive path, commands) reaches stream not at all.
func (b *Bot) HandleMessageStream(ctx context.Context, msg Message, stream StreamFunc) Reply {
	return b.handle(ctx, msg, stream)
}

// Ask answers msg.Text as a question, whatever its first word, and records
// the question and the answer.
func (b *Bot) Ask(ctx context.Context, msg Message) Reply {
	return b.ask(ctx, msg, nil)
}

// maxHistory is how many earlier questions of a thread are kept to
// condense a follow-up; historyScan is how many of the thread's recent
// questions are read to find them.
const (
	maxHistory  = 4
	historyScan = 50
)

// history returns the earlier questions of msg's thread, oldest first,
// from the engagement log. Outside a thread there is none.
func (b *Bot) history(ctx context.Context, msg Message) []string {
	if msg.Thread == "" {
		return nil
	}
	events, err := b.events.Events(ctx, store.EventFilter{
		Kind: store.EventQuestion, Platform: msg.Platform, Channel: msg.Channel, Thread: msg.Thread, Limit: historyScan,
	})
	if err != nil {
		b.log.WarnContext(ctx, "reading the thread's history failed", "err", err)
		return nil
	}
	var h []string
	for _, e := range events { // newest first
		if e.Thread == msg.Thread && e.Workspace == msg.Workspace && e.Question != "" {
			h = append(h, e.Question)
			if len(h) == maxHistory {
				break
			}
		}
	}
	slices.Reverse(h)
	return h
}

// errUnscopable: the asker may see only part of the knowledge base, and
// the knowledge capability can only answer from all of it.
var errUnscopable = errors.New("the knowledge capability cannot limit an answer to what the asker may see")

func (b *Bot) answer(ctx context.Context, msg Message, question string, history []string, stream StreamFunc) (knowledge.Answer, error) {
	scope, err := b.scope(ctx, msg)
	if err != nil {
		return knowledge.Answer{}, err
	}
	sk, ok := b.knowledge.(StreamingKnowledge)
	if !ok {
		// Ask searches every document: fine only for someone who may see
		// them all. Anyone else gets no answer rather than one that might
		// quote a collection kept from them.
		if !scope.Unlimited() {
			return knowledge.Answer{}, errUnscopable
		}
		return b.knowledge.Ask(ctx, question)
	}
	req := knowledge.AskRequest{Question: question, History: history, Scope: scope}
	if stream != nil {
		req.OnText = func(text string) { stream(text) }
	}
	return sk.AskWith(ctx, req)
}

func (b *Bot) ask(ctx context.Context, msg Message, stream StreamFunc) Reply {
	question := strings.TrimSpace(msg.Text)
	// Read before this question is recorded, which would otherwise be its
	// own history.
	history := b.history(ctx, msg)
	qid := b.newID()
	// A locked event log has already cost one busy timeout; the answer is
	// not made to wait for a second.
	logLocked := errors.Is(b.record(ctx, msg, store.Event{ID: qid, Kind: store.EventQuestion, Question: loggable(question)}), store.ErrLocked)
	ans, err := b.answer(ctx, msg, question, history, stream)
	if err != nil {
		return b.askError(ctx, msg, err)
	}
	return b.answered(ctx, msg, question, qid, logLocked, ans)
}

// answerIfKnown answers msg's text as a question only when the knowledge
// base answers it confidently, and records it then; otherwise it records
// nothing, so that a request for a colleague leaves no content gap, and
// reports false.
func (b *Bot) answerIfKnown(ctx context.Context, msg Message) (Reply, bool) {
	question := strings.TrimSpace(msg.Text)
	ans, err := b.answer(ctx, msg, question, b.history(ctx, msg), nil)
	if err != nil || !ans.Confident {
		return Reply{}, false
	}
	qid := b.newID()
	logLocked := errors.Is(b.record(ctx, msg, store.Event{ID: qid, Kind: store.EventQuestion, Question: loggable(question)}), store.ErrLocked)
	return b.answered(ctx, msg, question, qid, logLocked, ans), true
}

// answered records the answer to the question recorded as qid (unless the
// event log was locked) and renders it as a reply.
func (b *Bot) answered(ctx context.Context, msg Message, question, qid string, logLocked bool, ans knowledge.Answer) Reply {
	aid := b.newID()
	docIDs := make([]string, 0, len(ans.Citations))
	for _, c := range ans.Citations {
		docIDs = append(docIDs, c.DocID)
	}
	if !logLocked {
		b.record(ctx, msg, store.Event{
			ID: aid, Kind: store.EventAnswer, Question: loggable(question), Confident: ans.Confident,
			DocIDs: docIDs, LatencyMS: ans.Latency.Milliseconds(), Ref: qid,
		})
	}
	// One line per answer, without the question's text: with the
	// adapter's request id on it, it ties a platform event to its outcome.
	b.log.InfoContext(ctx, "question answered", "platform", msg.Platform, "grounded", ans.Confident,
		"mode", string(ans.Mode), "citations", len(ans.Citations), "latency_ms", ans.Latency.Milliseconds())
	// Why a model's part was replaced: a refused key or an unknown model
	// would otherwise only show as answers quoted from the sources. The
	// reasons come redacted from knowledge/llm.
	if ans.FallbackReason != "" || ans.SearchFallback != "" {
		b.log.WarnContext(ctx, "the models could not help with an answer", "platform", msg.Platform,
			"fallback_reason", ans.FallbackReason, "search_fallback", ans.SearchFallback)
	}
	reply := Reply{Text: ans.Text, Grounded: ans.Confident, Fallback: ans.Mode == knowledge.ModeFallback}
	for _, c := range ans.Citations {
		reply.Citations = append(reply.Citations, Citation(c))
	}
	if ans.Confident {
		reply.Buttons = append(reply.Buttons,
			Button{ID: ActionHelpful, Label: "👍 Helpful", Value: aid},
			Button{ID: ActionNotHelpful, Label: "👎 Not helpful", Value: aid})
	}
	reply.Buttons = append(reply.Buttons, Button{ID: ActionAskPerson, Label: "Ask a person", Value: aid})
	if !ans.Confident && b.peers != nil {
		if offer := b.peers.Offer(ctx, msg, question); offer != "" {
			reply.Text += "\n\n" + offer
		}
	}
	return reply
}

// scope is what msg's asker, where they ask, may be answered from: the
// operator at the command line everything published; anyone else the
// collections whose audience admits them there, within the channel's
// collections (Message.Collections).
func (b *Bot) scope(ctx context.Context, msg Message) (store.Scope, error) {
	if msg.Operator {
		return store.Everything, nil
	}
	limit := store.Scope{All: len(msg.Collections) == 0, Collections: msg.Collections}
	aud, ok := b.knowledge.(Audiences)
	if !ok {
		return limit, nil
	}
	reader := audience.Reader{Platform: msg.Platform, Workspace: msg.Workspace, User: msg.User,
		Channel: msg.Channel, Direct: msg.Direct, Membership: audience.Membership{Roles: []string{audience.RoleLearner}}}
	if b.directory != nil {
		m, err := b.directory.Membership(ctx, msg.Platform, msg.Workspace, msg.User)
		if err != nil {
			return store.Scope{}, fmt.Errorf("look up the asker's roles and groups: %w", err)
		}
		reader.Membership = m
	}
	return aud.Scope(ctx, reader, msg.Collections)
}

func (b *Bot) askError(ctx context.Context, msg Message, err error) Reply {
	switch {
	case errors.Is(err, knowledge.ErrEmptyQuestion):
		return Reply{Text: "Ask me a question about the knowledge base, for example: *How do I request parental leave?* Type `help` to see what I can do."}
	case errors.Is(err, knowledge.ErrQuestionTooLong):
		return Reply{Text: fmt.Sprintf("That question is too long for me (%d bytes). Please ask it in a sentence or two.", len(msg.Text))}
	case errors.Is(err, knowledge.ErrInvalidText):
		return Reply{Text: "I couldn't read that message: it isn't valid text. Please type your question again."}
	case errors.Is(err, errUnscopable):
		b.log.ErrorContext(ctx, "refused to answer: the knowledge capability does not support scoped asking (bot.StreamingKnowledge), and this asker may not see every collection",
			"platform", msg.Platform, "workspace", msg.Workspace, "channel", msg.Channel, "direct", msg.Direct)
		return Reply{Text: "Answers are not available here: I can't limit them to what you may see. Please tell an admin."}
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		b.log.WarnContext(ctx, "answering failed", "err", err)
		return Reply{Text: "I can't reach the knowledge base right now. Please try again in a minute."}
	}
	b.log.ErrorContext(ctx, "answering failed", "err", err)
	return Reply{Text: "Something went wrong while I was looking for an answer. Please try again; if it keeps happening, tell an admin."}
}

// HandleAction handles a button press.
func (b *Bot) HandleAction(ctx context.Context, a Action) Reply {
	msg := Message{Platform: a.Platform, Workspace: a.Workspace, Channel: a.Channel, Thread: a.Thread, User: a.User}
	if b.peers != nil {
		if r, ok := b.peers.Action(ctx, a); ok {
			return r
		}
	}
	if b.privacy != nil {
		if r, ok := b.privacy.HandleAction(ctx, a); ok {
			return r
		}
	}
	switch a.ID {
	case ActionHelpful:
		return b.feedback(ctx, msg, a.Value, +1)
	case ActionNotHelpful:
		return b.feedback(ctx, msg, a.Value, -1)
	case ActionAskPerson:
		b.record(ctx, msg, store.Event{ID: b.newID(), Kind: store.EventHelpRequest, Ref: a.Value})
		if b.peers != nil {
			return b.peers.AskPerson(ctx, a)
		}
		return Reply{Text: "Noted: you'd like a person to help with this. The question is on the content team's list.", Private: true}
	}
	if b.learning != nil {
		if r, ok := b.learning.HandleAction(ctx, a); ok {
			return r
		}
	}
	return Reply{Text: "I don't know that button. It may belong to an older version of this message.", Private: true}
}

func (b *Bot) feedbackText(ctx context.Context, msg Message, arg string) Reply {
	var value int
	switch strings.ToLower(arg) {
	case "+1", "👍", "up", "helpful", "yes":
		value = +1
	case "-1", "👎", "down", "unhelpful", "no":
		value = -1
	default:
		return Reply{Text: "Rate my last answer with `+1` (helpful) or `-1` (not helpful)."}
	}
	last, err := b.events.Events(ctx, store.EventFilter{
		Kind: store.EventAnswer, User: msg.User, Platform: msg.Platform, Channel: msg.Channel, Limit: 1,
	})
	if err != nil {
		b.log.ErrorContext(ctx, "finding the last answer failed", "err", err)
		return Reply{Text: "I couldn't record that just now. Please try again."}
	}
	if len(last) == 0 {
		return Reply{Text: "There is no answer of mine here to rate yet. Ask me something first."}
	}
	if !last[0].Confident {
		return b.gapFeedback(ctx, msg, last[0].ID, value)
	}
	return b.feedback(ctx, msg, last[0].ID, value)
}

func (b *Bot) feedback(ctx context.Context, msg Message, answerID string, value int) Reply {
	if answerID == "" {
		return Reply{Text: "That rating doesn't point at an answer, so I can't record it.", Private: true}
	}
	b.record(ctx, msg, store.Event{ID: b.newID(), Kind: store.EventFeedback, Value: value, Ref: answerID})
	if value > 0 {
		return Reply{Text: "Thanks, glad it helped.", Private: true}
	}
	return Reply{Text: "Thanks for telling me. The content team will see that this answer missed.", Private: true}
}

// gapFeedback answers a rating of a reply that had no confident answer: the
// question is a content gap already, so a 👎 says the gap matters, not that
// an answer missed. The rating is kept as feedback on that reply, which
// the helpfulness of answers leaves out (bot/engagement).
func (b *Bot) gapFeedback(ctx context.Context, msg Message, answerID string, value int) Reply {
	b.record(ctx, msg, store.Event{ID: b.newID(), Kind: store.EventFeedback, Value: value, Ref: answerID})
	if value > 0 {
		return Reply{Text: "Thanks. I had no answer from the knowledge base for that one, so the question stays on the content team's list of unanswered questions.", Private: true}
	}
	return Reply{Text: "Thanks, I've noted that this question needs an answer. It is on the content team's list of unanswered questions (`gaps`).", Private: true}
}

// record logs an engagement event; a failure is logged, never shown to the
// person, whose answer matters more than the statistics. The error is
// returned so that a caller can skip further writes that would wait too.
func (b *Bot) record(ctx context.Context, msg Message, e store.Event) error {
	e.Time = b.now()
	e.Platform, e.Workspace, e.Channel, e.Thread, e.User, e.Direct = msg.Platform, msg.Workspace, msg.Channel, msg.Thread, msg.User, msg.Direct
	err := b.events.RecordEvent(ctx, e)
	if err != nil {
		b.log.WarnContext(ctx, "recording engagement failed", "kind", e.Kind, "err", err)
	}
	return err
}

// maxLoggedQuestion bounds the question text kept in the engagement log:
// enough for any real question, and a pasted log file is not kept whole.
const maxLoggedQuestion = 2000

// loggable makes a question safe to store: valid UTF-8 without control
// characters other than new lines and tabs (PostgreSQL refuses a NUL; an
// escape sequence would reach a curator's terminal), at most
// maxLoggedQuestion bytes, cut at a character boundary.
func loggable(q string) string {
	q = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(q, "\uFFFD"))
	if len(q) <= maxLoggedQuestion {
		return q
	}
	cut := maxLoggedQuestion - len("…")
	for cut > 0 && !utf8.RuneStart(q[cut]) {
		cut--
	}
	return q[:cut] + "…"
}

func helpReply() Reply {
	return Reply{Text: strings.TrimSpace(`
I answer questions from the company knowledge base, with sources.

- Just ask: *How many days of annual leave do I get?*
- ` + "`ask QUESTION`" + ` asks explicitly, even when the question starts with a command word.
- ` + "`+1`" + ` or ` + "`-1`" + ` rates my last answer; the buttons under an answer do the same.
- ` + "`help`" + ` shows this message.

When I don't know, I say so and note the question for the content team.`)}
}

const learningHelp = "\n\nLearning:\n- `learn` lists the learning tracks; `learn join TRACK` follows one (its cards come to your direct messages) and `learn leave TRACK` stops it.\n- `nudge` sends your next card now; `answer 2` answers the last quiz, `reflect TEXT` the last reflection.\n- `nudges` shows when cards come; `nudges time 08:45`, `nudges timezone Europe/Paris`, `nudges quiet 2026-12-21 2027-01-04`, `nudges pause` and the like change it."

const peersHelp = "\n\nPeople:\n- `profile` shows what you can help with and want to learn; `profile help` lists how to change it.\n- `connect TOPIC`, or just *who knows TOPIC?*, finds colleagues who know TOPIC and asks one of them for you."

const curationHelp = "\n\nGrowing the knowledge base:\n- `suggest URL` or `suggest TEXT` proposes content; a curator reviews it before anyone is answered from it.\n- *Save to knowledge* on a colleague's answer in a thread (the message's menu) saves the question and answer as a draft.\n- Curators: `sources` lists the sources, `sources set NAME every 1h` (or `review 180d`, `approval on`) changes one, `add URL [COLLECTION]` adds one, `gaps` shows unanswered questions, `approve` lists drafts and `approve DOC` publishes one."

const privacyHelp = "\n\nYour data:\n- `privacy` shows what I keep about you.\n- `optout analytics` keeps your activity only as anonymous counts; `optin analytics` undoes it.\n- `forget me` deletes everything I keep about you (I ask first)."
