package discord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
)

// SendDirect sends reply privately, for nudges and introductions. One
// person gets a direct message. Several people get one private thread in
// Config.GroupChannelID with each of them added, because Discord lets bots
// open direct messages with one person only (group DMs need each person's
// OAuth2 grant); without a group channel each gets the reply as a direct
// message of their own.
//
// A send that meets a rate limit, a Discord server error or a network
// failure waits in the adapter's retry queue and is retried with back-off
// (it resumes where it stopped, so nothing is sent twice); SendDirect then
// returns nil. Permanent failures, such as a person who does not accept
// direct messages, are returned, as is a full queue.
func (a *Adapter) SendDirect(ctx context.Context, userIDs []string, reply bot.Reply) error {
	users := slices.Compact(slices.Sorted(slices.Values(userIDs)))
	if len(users) == 0 {
		return errors.New("discord: send direct: no recipients")
	}
	for _, u := range users {
		if !isSnowflake(u) {
			return fmt.Errorf("discord: send direct: %q is not a Discord user id", u)
		}
	}
	msgs := render(reply)
	if len(users) > 1 && a.cfg.GroupChannelID != "" {
		return a.deliver(ctx, &delivery{what: "group thread", msgs: msgs, resolve: a.groupThread(users, reply)})
	}
	var errs []error
	for _, u := range users {
		errs = append(errs, a.deliver(ctx, &delivery{what: "direct message to " + u, msgs: msgs, resolve: a.dmChannel(u)}))
	}
	return errors.Join(errs...)
}

// SendDirectThread sends reply to one person as SendDirect does and
// returns the id of its first message: a reply to that message (Discord's
// message reference) reaches the core as a message in that thread, which
// is how a learner's answer to a nudge finds the nudge.
//
// Unlike SendDirect it makes one attempt and returns any failure, so that
// the caller (a nudge's job, which holds the nudge's claim) decides on a
// retry: a send queued here could reach a person after they were
// forgotten. With reply.IdempotencyKey set, each message carries a nonce
// derived from it, which Discord enforces: sent again within
// DedupeWindow, the message is not created twice, and Discord returns the
// one it has, so a retry after a send whose answer was lost sends nothing
// new.
func (a *Adapter) SendDirectThread(ctx context.Context, userID string, reply bot.Reply) (string, error) {
	if !isSnowflake(userID) {
		return "", fmt.Errorf("discord: send direct: %q is not a Discord user id", userID)
	}
	d := &delivery{what: "direct message to " + userID, msgs: render(reply), resolve: a.dmChannel(userID), key: reply.IdempotencyKey}
	if err := a.attempt(ctx, d); err != nil {
		return "", err
	}
	return d.firstID, nil
}

// DedupeWindow is how long after a message Discord recognises a repeat
// of it by its enforced nonce: "the past few minutes", by its
// documentation, of which Lore counts on one.
const DedupeWindow = time.Minute

// nonce is the nonce of message i of a send keyed key: at most 25
// characters, as Discord allows, and the same on every attempt.
func nonce(key string, i int) string {
	h := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(i)))
	return hex.EncodeToString(h[:])[:25]
}

// nonceMessage is a message with the nonce fields discordgo's MessageSend
// lacks.
type nonceMessage struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce"`
	EnforceNonce bool   `json:"enforce_nonce"`
}

// sendMessage creates message i of d in its channel, with a nonce when d
// has a key.
func (a *Adapter) sendMessage(ctx context.Context, d *delivery, i int) (*discordgo.Message, error) {
	m := messageSend(d.msgs[i])
	if d.key == "" {
		return a.session.ChannelMessageSendComplex(d.channel, m, proactive(ctx)...)
	}
	for _, e := range m.Embeds {
		if e.Type == "" {
			e.Type = discordgo.EmbedTypeRich
		}
	}
	endpoint := discordgo.EndpointChannelMessages(d.channel)
	body, err := a.session.RequestWithBucketID(http.MethodPost, endpoint, nonceMessage{MessageSend: m, Nonce: nonce(d.key, i), EnforceNonce: true},
		endpoint, proactive(ctx)...)
	if err != nil {
		return nil, err
	}
	var msg discordgo.Message
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, fmt.Errorf("decode the message created: %w", err)
	}
	return &msg, nil
}

// delivery is a proactive send in progress: where it goes and how far it
// got, so that a retry resumes rather than repeats.
type delivery struct {
	what     string
	resolve  func(ctx context.Context) (string, error) // finds or makes the channel
	channel  string
	msgs     []outMessage
	key      string // idempotency key: messages carry nonces derived from it
	sent     int
	attempts int
	firstID  string // of the first message, once sent
}

// proactive are the request options of sends that Lore retries itself:
// discordgo's own retry would wait inside the call on a 429.
func proactive(ctx context.Context) []discordgo.RequestOption {
	return []discordgo.RequestOption{discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false)}
}

func (a *Adapter) dmChannel(user string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		ch, err := a.session.UserChannelCreate(user, proactive(ctx)...)
		if err != nil {
			return "", a.apiError("open direct message", err)
		}
		return ch.ID, nil
	}
}

// groupThread starts a private thread and adds users to it. Its progress
// is kept between attempts, so a retry neither starts a second thread nor
// adds someone twice.
func (a *Adapter) groupThread(users []string, reply bot.Reply) func(context.Context) (string, error) {
	var thread string
	added := 0
	return func(ctx context.Context) (string, error) {
		if thread == "" {
			ch, err := a.session.ThreadStartComplex(a.cfg.GroupChannelID, &discordgo.ThreadStart{
				Name: threadName(firstLine(reply.Text)), Type: discordgo.ChannelTypeGuildPrivateThread,
				AutoArchiveDuration: threadArchiveMinutes, Invitable: false,
			}, proactive(ctx)...)
			if err != nil {
				return "", a.apiError("start private thread", err)
			}
			thread = ch.ID
			a.channels.remember(thread, channelInfo{thread: true, ownerID: a.selfID(), parent: a.cfg.GroupChannelID})
		}
		for ; added < len(users); added++ {
			if err := a.session.ThreadMemberAdd(thread, users[added], proactive(ctx)...); err != nil {
				return "", a.apiError("add thread member", err)
			}
		}
		return thread, nil
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// attempt sends what is left of d.
func (a *Adapter) attempt(ctx context.Context, d *delivery) error {
	if d.channel == "" {
		ch, err := d.resolve(ctx)
		if err != nil {
			return err
		}
		d.channel = ch
	}
	for d.sent < len(d.msgs) {
		m, err := a.sendMessage(ctx, d, d.sent)
		if err != nil {
			return a.apiError("send direct message", err)
		}
		if d.sent == 0 {
			d.firstID = m.ID
		}
		d.sent++
	}
	return nil
}

// deliver makes a first attempt and queues d when the failure is worth
// retrying.
func (a *Adapter) deliver(ctx context.Context, d *delivery) error {
	err := a.attempt(ctx, d)
	if err == nil {
		return nil
	}
	wait, retry := retryAfter(err)
	if !retry {
		return err
	}
	if !a.retries.add(d, wait) {
		return fmt.Errorf("discord: %s: the retry queue is full: %w", d.what, err)
	}
	a.log.InfoContext(ctx, "queued a message for retry", "to", d.what, "err", err)
	return nil
}

// retryQueue holds proactive sends that met a retryable failure and
// retries them in the background with exponential back-off, honouring
// Discord's retry_after. It lives in memory: what is still queued when the
// adapter closes is reported in the log.
type retryQueue struct {
	a           *Adapter
	base, limit time.Duration // back-off: base, doubled per attempt, at most limit
	maxAttempts int
	maxItems    int

	mu      sync.Mutex
	items   []queued
	started bool
	closed  bool
	wake    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
}

type queued struct {
	d   *delivery
	due time.Time
}

func newRetryQueue(a *Adapter) *retryQueue {
	return &retryQueue{
		a: a, base: time.Second, limit: 5 * time.Minute, maxAttempts: 12, maxItems: 10_000,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
	}
}

// add queues d to be tried again after at least wait. It reports false
// when the queue is full or closed, or d has used all its attempts.
func (q *retryQueue) add(d *delivery, wait time.Duration) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || len(q.items) >= q.maxItems || d.attempts >= q.maxAttempts {
		return false
	}
	backoff := q.base << min(d.attempts, 20)
	if backoff > q.limit || backoff <= 0 {
		backoff = q.limit
	}
	d.attempts++
	q.items = append(q.items, queued{d: d, due: time.Now().Add(max(wait, backoff))})
	if !q.started {
		q.started = true
		go q.run()
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// pending is the number of queued sends.
func (q *retryQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

func (q *retryQueue) run() {
	defer close(q.stopped)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-q.stop
		cancel()
	}()
	for {
		d, wait := q.next()
		if d == nil {
			t := time.NewTimer(wait)
			select {
			case <-q.stop:
				t.Stop()
				return
			case <-q.wake:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		actx, acancel := context.WithTimeout(ctx, 30*time.Second)
		err := q.a.attempt(actx, d)
		acancel()
		if err == nil {
			q.a.log.Info("delivered a queued message", "to", d.what, "attempts", d.attempts+1)
			continue
		}
		if ctx.Err() != nil {
			q.requeue(d)
			return
		}
		w, retry := retryAfter(err)
		if !retry || !q.add(d, w) {
			q.a.log.Error("gave up on a message", "to", d.what, "attempts", d.attempts, "err", err)
		}
	}
}

// next takes the first due item, or says how long until one is due.
func (q *retryQueue) next() (*delivery, time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	wait := time.Hour
	now := time.Now()
	for i, it := range q.items {
		if !it.due.After(now) {
			q.items = slices.Delete(q.items, i, i+1)
			return it.d, 0
		}
		wait = min(wait, it.due.Sub(now))
	}
	return nil, wait
}

func (q *retryQueue) requeue(d *delivery) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, queued{d: d, due: time.Now()})
}

// close stops retrying and logs what was not delivered.
func (q *retryQueue) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	started := q.started
	q.mu.Unlock()
	close(q.stop)
	if started {
		<-q.stopped
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, it := range q.items {
		q.a.log.Error("message not delivered before shutdown", "to", it.d.what, "attempts", it.d.attempts)
	}
}
