package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/trace"
	"github.com/lorehq/lore/store"
)

// Core is what the adapter needs from Lore's core; *bot.Bot satisfies it.
type Core interface {
	HandleMessage(ctx context.Context, msg bot.Message) bot.Reply
	HandleMessageStream(ctx context.Context, msg bot.Message, stream bot.StreamFunc) bot.Reply
	HandleAction(ctx context.Context, a bot.Action) bot.Reply
}

var _ Core = (*bot.Bot)(nil)

// Claims de-duplicates deliveries and remembers the threads Lore answered;
// store.Claims satisfies it.
type Claims interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (first bool, err error)
	Claimed(ctx context.Context, key string) (bool, error)
}

// People keeps each person's time zone; store.People satisfies it.
type People interface {
	SavePerson(ctx context.Context, p store.Person) error
	Person(ctx context.Context, platform, workspace, user string) (store.Person, error)
}

// Documents tells which collection a cited document belongs to, for
// channels limited to some collections; store.Documents satisfies it.
type Documents interface {
	Document(ctx context.Context, id string) (store.Document, error)
}

var (
	_ Claims    = (store.Store)(nil)
	_ People    = (store.Store)(nil)
	_ Documents = (store.Store)(nil)
)

// Command is a /lore subcommand a capability adds, such as "learn".
type Command struct {
	Summary string // one line for /lore help, e.g. "start a learning path"
	// Run answers the command; msg.Text holds what follows the subcommand.
	// A Private reply is shown only to the person who typed it.
	Run func(ctx context.Context, msg bot.Message) bot.Reply
}

// Deps are the adapter's collaborators besides the core.
type Deps struct {
	Claims Claims // required
	People People // required
	// Documents is required when a channel limits its collections.
	Documents Documents
	// Commands are extra /lore subcommands, keyed by their lower-case
	// name; "help" and "ask" are built in and cannot be replaced.
	Commands map[string]Command
	// Joins hears of people joining the workspace or a channel, for
	// onboarding. Default nil: joins are ignored.
	Joins JoinHandler
	// Saves takes the Save to knowledge message shortcut; *bot.Bot is
	// one. Default nil: the shortcut answers that saving is not set up.
	Saves Saver
}

// Saver takes "Save to knowledge" on a message; *bot.Bot satisfies it.
type Saver interface {
	HandleSave(ctx context.Context, req bot.SaveRequest) bot.Reply
}

var _ Saver = (*bot.Bot)(nil)

// Platform is the bot.Message platform name of this adapter, and the
// PLATFORM of references to Slack people and channels (slack/T1/U1).
const Platform = "slack"

// workingReaction marks a message Lore is answering.
const workingReaction = "eyes"

// identity is who Lore is in the workspace, from auth.test.
type identity struct {
	UserID string // the bot user, as mentioned in <@U…>
	BotID  string // bot_id on Lore's own messages
	TeamID string
}

// Adapter is Lore's Slack app.
type Adapter struct {
	cfg      Config
	core     Core
	deps     Deps
	api      *slack.Client
	pace     *pacer
	log      *slog.Logger
	verifier Verifier
	self     atomic.Pointer[identity]
	work     sync.WaitGroup
	// socketUp is whether the Socket Mode connection is up, for Ready.
	socketUp atomic.Bool
	// personMu guards refreshing: one users.info per person at a time.
	personMu   sync.Mutex
	refreshing map[string]bool
	// roster caches who is a person, for pairing rounds (roster.go).
	roster rosterCache
	// groups caches the members of user groups, for roles (usergroups.go).
	groups groupCache
	// dms caches Lore's own direct-message channel with each person
	// (ownDM).
	dmMu sync.Mutex
	dms  map[string]string
	// inFlight holds a token per event being handled (MaxInFlight).
	inFlight chan struct{}
}

// New returns an Adapter. It makes no network call; Run (Socket Mode) and
// Start (HTTP mode) look up the bot's identity first.
func New(cfg Config, core Core, deps Deps) (*Adapter, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if core == nil {
		errs = append(errs, errors.New("a core is required"))
	}
	if deps.Claims == nil || deps.People == nil {
		errs = append(errs, errors.New("Deps.Claims and Deps.People are required"))
	}
	for id, s := range cfg.Channels {
		if len(s.Collections) > 0 && deps.Documents == nil {
			errs = append(errs, fmt.Errorf("channel %s limits collections, which needs Deps.Documents", id))
		}
	}
	for name := range deps.Commands {
		if name != strings.ToLower(name) || name == "help" || name == "ask" || strings.ContainsAny(name, " \t\n") || name == "" {
			errs = append(errs, fmt.Errorf("command %q: names are single lower-case words other than help and ask", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("slack adapter: %w", err)
	}
	cfg.setDefaults()
	opts := []slack.Option{slack.OptionHTTPClient(cfg.HTTPClient), slack.OptionLog(discardLogger{})}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken.Reveal()))
	}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	a := &Adapter{
		cfg:        cfg,
		core:       core,
		deps:       deps,
		api:        slack.New(cfg.BotToken.Reveal(), opts...),
		pace:       newPacer(cfg.MaxConcurrent),
		inFlight:   make(chan struct{}, cfg.MaxInFlight),
		log:        cfg.Logger.With("adapter", Platform),
		verifier:   Verifier{Secret: cfg.SigningSecret, Now: cfg.Clock},
		refreshing: map[string]bool{},
	}
	return a, nil
}

// discardLogger silences slack-go's own logging, which would bypass slog;
// the adapter logs what matters itself.
type discardLogger struct{}

func (discardLogger) Output(int, string) error { return nil }

// Identify looks up the bot's user id, bot id and workspace (auth.test).
// Run calls it; HTTP deployments call it once before serving Handler.
func (a *Adapter) Identify(ctx context.Context) error {
	var resp *slack.AuthTestResponse
	err := a.pace.do(ctx, "auth.test", func(ctx context.Context) (err error) {
		resp, err = a.api.AuthTestContext(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("identify the bot: %w", err)
	}
	a.self.Store(&identity{UserID: resp.UserID, BotID: resp.BotID, TeamID: resp.TeamID})
	a.log.Info("connected to Slack", "team", resp.TeamID, "bot_user", resp.UserID)
	return nil
}

func (a *Adapter) identity() identity {
	if id := a.self.Load(); id != nil {
		return *id
	}
	return identity{}
}

// Wait blocks until background work started so far has finished or ctx
// ends: for a graceful shutdown after Run returns or the HTTP server
// stops.
func (a *Adapter) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { a.work.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// background runs fn after the delivery has been acknowledged, bounded by
// WorkTimeout and detached from the request that brought it.
func (a *Adapter) background(ctx context.Context, what string, fn func(ctx context.Context)) {
	a.work.Add(1)
	go func() {
		defer a.work.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.WorkTimeout)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				a.log.ErrorContext(ctx, "handling a delivery panicked", "what", what, "panic", r)
			}
		}()
		fn(ctx)
	}()
}

// errRedeliver means an event was not taken: the database is unavailable
// or slow to answer, or this replica is at MaxInFlight. It is not
// acknowledged, so that Slack delivers it again (at once, after 1 and
// after 5 minutes), by when things may be better.
var errRedeliver = errors.New("the event cannot be taken now; Slack will deliver it again")

// claimBudget bounds the check of an event's claim before it is
// acknowledged: the acknowledgement must reach Slack within 3 seconds,
// and a check stuck behind a backlog is better refused than acknowledged
// too late for Slack to know.
const claimBudget = 2 * time.Second

// admit takes an in-flight token for an event, or reports errRedeliver
// when MaxInFlight events are being handled. The returned function gives
// the token back.
func (a *Adapter) admit(ctx context.Context, env envelope) (func(), error) {
	select {
	case a.inFlight <- struct{}{}:
		return func() { <-a.inFlight }, nil
	default:
		a.log.WarnContext(trace.WithRequestID(ctx, env.EventID), "event not acknowledged, for Slack to deliver again: this replica is at its limit of events in flight",
			"event_id", env.EventID, "limit", cap(a.inFlight))
		return nil, errRedeliver
	}
}

// rateLimited reports Slack's app_rate_limited notice: until the hour
// has passed, Slack drops events of the workspace (mentions and direct
// messages among them) rather than deliver them.
func (a *Adapter) rateLimited(ctx context.Context, env envelope) {
	attrs := []any{"team", env.TeamID}
	if env.MinuteRateLimited > 0 {
		attrs = append(attrs, "since", time.Unix(env.MinuteRateLimited, 0).UTC().Format(time.RFC3339))
	}
	a.log.ErrorContext(ctx, "Slack is rate limiting this app's events for the workspace (more than 30,000 in an hour): "+
		"until the hour is over, some mentions and messages will not reach Lore", attrs...)
}

// eventKey is the claim that names an event's one handling.
func eventKey(env envelope) string { return "slack:event:" + env.EventID }

// checkEvent decides, before an event is acknowledged, whether to take
// it. It reports false for an event whose claim is already held (a
// delivery took it), and errRedeliver when the database is unavailable or
// did not answer within claimBudget, or the delivery's request was
// abandoned.
//
// It only reads. A write here would be ambiguous when its connection is
// cut: the claim may be committed although its answer never arrived, and
// then the delivery is refused while the claim stands, so that every
// redelivery is dropped as a duplicate and the event is never answered.
// The claim is made after the acknowledgement instead (claimEvent).
func (a *Adapter) checkEvent(ctx context.Context, env envelope) (bool, error) {
	ctx = trace.WithRequestID(ctx, env.EventID)
	ctx, cancel := context.WithTimeout(ctx, claimBudget)
	defer cancel()
	held, err := a.deps.Claims.Claimed(ctx, eventKey(env))
	switch {
	case errors.Is(err, store.ErrUnavailable), err != nil && ctx.Err() != nil,
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// Never "handle anyway" here: the delivery was not acknowledged
		// and will come again.
		a.log.WarnContext(ctx, "event not acknowledged, for Slack to deliver again: checking its claim failed", "event_id", env.EventID, "err", err)
		return false, errRedeliver
	case err != nil:
		// A check the store refuses outright (an event id no claim can
		// have) would fail on a redelivery too: the event is taken, and
		// its claim will fail the same way (claimEvent).
		a.log.WarnContext(ctx, "checking an event's claim failed; taking it anyway", "event_id", env.EventID, "err", err)
		return true, nil
	case held:
		a.log.DebugContext(ctx, "duplicate event dropped", "event_id", env.EventID)
	}
	return !held, nil
}

// claimEvent takes an acknowledged event for this replica and reports
// whether to handle it: of several deliveries of one event that passed
// checkEvent at once, only the first to claim it does. A claim that fails
// is handled all the same: the delivery was acknowledged, so Slack will
// not bring the event again, and a failed claim may have been written
// before its connection was cut; answering twice beats not answering.
func (a *Adapter) claimEvent(ctx context.Context, env envelope) bool {
	ctx = trace.WithRequestID(ctx, env.EventID)
	first, err := a.deps.Claims.Claim(ctx, eventKey(env), a.cfg.ClaimTTL)
	switch {
	case err != nil:
		a.log.WarnContext(ctx, "claiming an acknowledged event failed; handling it anyway", "event_id", env.EventID, "err", err)
		return true
	case !first:
		a.log.DebugContext(ctx, "duplicate event dropped", "event_id", env.EventID)
	}
	return first
}

// handleEnvelope handles one Events API event that this replica claimed.
func (a *Adapter) handleEnvelope(ctx context.Context, env envelope) {
	// Slack's event id names the event in Lore's logs too.
	ctx = trace.WithRequestID(ctx, env.EventID)
	team := env.TeamID
	if team == "" {
		team = env.Event.Team
	}
	ev := env.Event
	switch ev.Type {
	case eventAppMention:
		a.onMessage(ctx, team, ev, true)
	case eventMessage:
		a.onMessage(ctx, team, ev, false)
	case eventTeamJoin, eventMemberJoinedChannel:
		a.onJoin(ctx, team, ev)
	case eventAppHomeOpened:
		if ev.Tab == "home" && ev.User != "" {
			if err := a.savePerson(ctx, team, ev.User, false); err != nil {
				a.log.WarnContext(ctx, "storing a person's time zone failed", "user", ev.User, "err", err)
			}
			a.publishHome(ctx, team, ev.User)
		}
	default:
		a.log.DebugContext(ctx, "event type not handled", "type", ev.Type)
	}
}

// answerableSubtype reports whether a message subtype can be someone
// asking something; edits, deletions, joins and topic changes cannot.
func answerableSubtype(s string) bool {
	switch s {
	case "", "thread_broadcast", "file_share":
		return true
	}
	return false
}

// onMessage decides whether a message is for Lore and answers it.
func (a *Adapter) onMessage(ctx context.Context, team string, ev innerEvent, mentioned bool) {
	self := a.identity()
	switch {
	case ev.User != "" && ev.User == self.UserID, ev.BotID != "" && ev.BotID == self.BotID:
		return // Lore's own message
	case ev.BotID != "" || ev.Subtype == "bot_message":
		if !a.cfg.AnswerBots {
			return
		}
	case !answerableSubtype(ev.Subtype), ev.User == "":
		return
	}
	if ev.Edited != nil {
		// Slack sends the app_mention again, as a new event, when a
		// message that mentions Lore is edited (a typo fixed, say): it
		// was answered when it was posted.
		return
	}
	if ev.Channel == "" || ev.TS == "" {
		return
	}
	direct := ev.ChannelType == "im"
	settings, allowed := a.cfg.channel(ev.Channel, direct)
	inThread := ev.ThreadTS != "" && ev.ThreadTS != ev.TS
	if !mentioned && !direct {
		switch {
		case self.UserID != "" && mentions(ev.Text, self.UserID):
			return // the app_mention event of the same message answers it
		case inThread:
			if !allowed || !a.threadIsLores(ctx, team, ev.Channel, ev.ThreadTS) {
				return
			}
		case settings.Answer == AnswerAll && strings.Contains(ev.Text, "?"):
		default:
			return
		}
	}
	if !allowed {
		if mentioned && ev.User != "" {
			a.postEphemeral(ctx, ev.Channel, ev.User, ev.ThreadTS, render(bot.Reply{
				Text: "I'm not set up to answer in this channel. Send me a direct message instead, or ask an admin to add this channel.",
			}, renderOptions{}))
		}
		return
	}
	thread := ev.ThreadTS
	if thread == "" && !direct {
		thread = ev.TS
	}
	msg := bot.Message{
		Platform: Platform, Workspace: team, Channel: ev.Channel, Thread: thread, User: ev.User, Direct: direct,
		Text: unescapeText(stripMention(ev.Text, self.UserID)), Collections: settings.Collections,
	}
	if ev.User != "" && ev.BotID == "" {
		a.refreshPerson(ctx, team, ev.User, false)
	}
	a.answer(ctx, msg, ev.TS, settings)
}

func threadKey(team, channel, thread string) string {
	return "slack:thread:" + team + ":" + channel + ":" + thread
}

func (a *Adapter) threadIsLores(ctx context.Context, team, channel, thread string) bool {
	held, err := a.deps.Claims.Claimed(ctx, threadKey(team, channel, thread))
	if err != nil {
		a.log.WarnContext(ctx, "checking a thread failed", "channel", channel, "err", err)
	}
	return held
}

// answer shows that Lore is working, asks the core (streaming the answer
// into a message when the core streams), and posts the reply in the
// thread. A channel limited to some collections is not streamed: whether
// the answer may be shown there is known only from its citations, at the
// end.
func (a *Adapter) answer(ctx context.Context, msg bot.Message, sourceTS string, settings ChannelSettings) {
	ref := slack.NewRefToMessage(msg.Channel, sourceTS)
	reacted := a.call(ctx, "reactions.add", func(ctx context.Context) error {
		return a.api.AddReactionContext(ctx, workingReaction, ref)
	}) == nil
	defer func() {
		if reacted {
			_ = a.call(ctx, "reactions.remove", func(ctx context.Context) error {
				return a.api.RemoveReactionContext(ctx, workingReaction, ref)
			})
		}
	}()

	var reply bot.Reply
	streamTS := ""
	if len(settings.Collections) > 0 {
		reply = a.core.HandleMessage(ctx, msg)
	} else {
		st := a.newStreamer(ctx, msg.Channel, msg.Thread)
		reply = a.core.HandleMessageStream(ctx, msg, st.update)
		streamTS = st.stop()
	}
	reply = a.guardCollections(ctx, reply, settings)

	msgs := render(reply, renderOptions{})
	if reply.Private && !msg.Direct {
		if streamTS != "" {
			a.unpublish(ctx, msg.Channel, streamTS)
		}
		a.postEphemeral(ctx, msg.Channel, msg.User, msg.Thread, msgs)
		return
	}
	if err := a.deliver(ctx, msg.Channel, msg.Thread, streamTS, msgs); err != nil {
		a.log.ErrorContext(ctx, "posting an answer failed", "channel", msg.Channel, "err", err)
		return
	}
	if !msg.Direct && msg.Thread != "" {
		if _, err := a.deps.Claims.Claim(ctx, threadKey(msg.Workspace, msg.Channel, msg.Thread), a.cfg.ThreadTTL); err != nil {
			a.log.WarnContext(ctx, "remembering the thread failed; follow-ups will need a mention", "err", err)
		}
	}
}

// privateNote replaces text streamed into a channel for a reply that
// turned out to be private, when the message cannot be deleted; it says
// nothing of the reply itself.
const privateNote = "_This answer is only for the person who asked; I've shown it to them privately._"

// unpublish removes a streamed message from a channel, or failing that
// replaces its text with privateNote: a private reply must not stay in
// view of everyone there.
func (a *Adapter) unpublish(ctx context.Context, channel, ts string) {
	if a.call(ctx, "chat.delete", func(ctx context.Context) error {
		_, _, err := a.api.DeleteMessageContext(ctx, channel, ts)
		return err
	}) == nil {
		return
	}
	if err := a.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts,
			slack.MsgOptionText(privateNote, false), slack.MsgOptionBlocks(section(blockIDAnswerPfx+"_0", privateNote)))
		return err
	}); err != nil {
		a.log.ErrorContext(ctx, "removing streamed text of a private reply from the channel failed", "channel", channel, "err", err)
	}
}

// guardCollections withholds an answer citing a document outside the
// channel's collections.
func (a *Adapter) guardCollections(ctx context.Context, r bot.Reply, s ChannelSettings) bot.Reply {
	if len(s.Collections) == 0 || len(r.Citations) == 0 || a.deps.Documents == nil {
		return r
	}
	for _, c := range r.Citations {
		doc, err := a.deps.Documents.Document(ctx, c.DocID)
		if err == nil && slices.Contains(s.Collections, doc.Collection) {
			continue
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.log.WarnContext(ctx, "checking a cited document's collection failed", "doc", c.DocID, "err", err)
		}
		withheld := bot.Reply{Text: "The answer I found comes from sources this channel isn't set up to cite. Ask me in a direct message, or ask an admin about this channel's collections."}
		for _, b := range r.Buttons {
			if b.ID == bot.ActionAskPerson {
				withheld.Buttons = append(withheld.Buttons, b)
			}
		}
		return withheld
	}
	return r
}

// call runs one Web API call through the pacer, logging a failure.
func (a *Adapter) call(ctx context.Context, method string, fn func(ctx context.Context) error) error {
	err := a.pace.do(ctx, method, fn)
	if err != nil {
		a.log.WarnContext(ctx, "slack call failed", "method", method, "err", err)
	}
	return err
}

// deliver posts msgs in a thread (top level when thread is empty); the
// first replaces the message at updateTS when there is one.
func (a *Adapter) deliver(ctx context.Context, channel, thread, updateTS string, msgs []message) error {
	for i, m := range msgs {
		opts := messageOptions(m)
		if i == 0 && updateTS != "" {
			if err := a.call(ctx, "chat.update", func(ctx context.Context) error {
				_, _, _, err := a.api.UpdateMessageContext(ctx, channel, updateTS, opts...)
				return err
			}); err != nil {
				return err
			}
			continue
		}
		if _, err := a.post(ctx, channel, thread, opts...); err != nil {
			return err
		}
	}
	return nil
}

// messageOptions are the options that post or update m.
func messageOptions(m message) []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
}

func (a *Adapter) post(ctx context.Context, channel, thread string, opts ...slack.MsgOption) (string, error) {
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	var ts string
	err := a.call(ctx, "chat.postMessage", func(ctx context.Context) (err error) {
		_, ts, err = a.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

func (a *Adapter) postEphemeral(ctx context.Context, channel, user, thread string, msgs []message) {
	for _, m := range msgs {
		opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		if err := a.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
			_, err := a.api.PostEphemeralContext(ctx, channel, user, opts...)
			return err
		}); err != nil {
			return
		}
	}
}

// maxResponseURLUses is how many times Slack lets one response_url be
// used (within 30 minutes); a further use fails.
const maxResponseURLUses = 5

// respond answers through a response_url (slash commands and button
// presses): ephemeral, or in the channel for everyone. The reply is fitted
// into the uses the response_url allows: opts.maxMessages, or all of them
// when it is zero.
func (a *Adapter) respond(ctx context.Context, responseURL string, r bot.Reply, opts renderOptions, inChannel, replaceOriginal bool) error {
	if !a.cfg.responseURLAllowed(responseURL) {
		return fmt.Errorf("%w: response_url is not a Slack address", ErrMalformed)
	}
	if opts.maxMessages <= 0 || opts.maxMessages > maxResponseURLUses {
		opts.maxMessages = maxResponseURLUses
	}
	kind := slack.ResponseTypeEphemeral
	if inChannel {
		kind = slack.ResponseTypeInChannel
	}
	for i, m := range render(r, opts) {
		wm := &slack.WebhookMessage{
			ResponseType: kind, Text: m.Text, Blocks: &slack.Blocks{BlockSet: m.Blocks},
			ReplaceOriginal: replaceOriginal && i == 0,
		}
		if err := a.call(ctx, "response_url", func(ctx context.Context) error {
			return slack.PostWebhookCustomHTTPContext(ctx, responseURL, a.cfg.HTTPClient, wm)
		}); err != nil {
			return err
		}
	}
	return nil
}

// Ready reports whether Lore can take Slack events now, for a readiness
// probe: in Socket Mode the websocket is connected; in HTTP mode the bot's
// identity is known (Identify succeeded).
func (a *Adapter) Ready(context.Context) error {
	if a.self.Load() == nil {
		return errors.New("not yet identified with Slack (auth.test)")
	}
	if a.cfg.Mode == ModeSocket && !a.socketUp.Load() {
		return errors.New("Socket Mode is not connected")
	}
	return nil
}
