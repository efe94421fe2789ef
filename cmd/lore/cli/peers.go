package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/nudges"
	"github.com/lorehq/lore/store"
)

// lateMessenger passes the peer capability's direct messages to the chat
// adapter, which is made after the bot (the adapter needs the bot, the
// bot's peer capability needs the adapter).
type lateMessenger struct {
	mu sync.Mutex
	m  peers.Messenger
}

var _ peers.Messenger = (*lateMessenger)(nil)

func (l *lateMessenger) set(m peers.Messenger) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m = m
}

// SendDirect implements peers.Messenger.
func (l *lateMessenger) SendDirect(ctx context.Context, platform, workspace string, users []string, r bot.Reply) error {
	l.mu.Lock()
	m := l.m
	l.mu.Unlock()
	if m == nil {
		return errors.New("no chat adapter is running to send direct messages")
	}
	return m.SendDirect(ctx, platform, workspace, users, r)
}

// peerCapability returns the peer capability over st, or nil (no peer
// commands) when the store does not keep profiles.
// Its admins are those of the role directory, so that pairing rounds
// and every other admin command read one list.
func (a *app) peerCapability(st store.Store, events peers.EventLog, m peers.Messenger, r peers.Roster, admins peers.AdminChecker) (*peers.Service, error) {
	ps, ok := st.(store.Peers)
	if !ok {
		return nil, nil
	}
	places, _ := st.(bot.Places)
	return peers.New(peers.Config{Store: ps, Events: events, Messenger: m, Roster: r, AdminCheck: admins, Audit: st, Places: places, Logger: a.log})
}

// chatRouter sends direct messages through the adapter of each message's
// platform, for capabilities (peers, nudges) that reach people first.
type chatRouter struct {
	mu      sync.Mutex
	senders map[string]func(ctx context.Context, userIDs []string, reply bot.Reply) error
	// threaded send to one person and return the message's id, where the
	// platform has one (Slack's ts, Discord's message id).
	threaded map[string]func(ctx context.Context, userID string, reply bot.Reply) (string, error)
	// dedupe is how long each platform recognises a repeated threaded
	// send by its reply's IdempotencyKey; absent: not at all.
	dedupe map[string]time.Duration
}

var _ peers.Messenger = (*chatRouter)(nil)

func (r *chatRouter) add(platform string, send func(ctx context.Context, userIDs []string, reply bot.Reply) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.senders == nil {
		r.senders = map[string]func(context.Context, []string, bot.Reply) error{}
	}
	r.senders[platform] = send
}

// addThreaded registers a platform's send to one person that returns the
// message's id.
func (r *chatRouter) addThreaded(platform string, send func(ctx context.Context, userID string, reply bot.Reply) (string, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.threaded == nil {
		r.threaded = map[string]func(context.Context, string, bot.Reply) (string, error){}
	}
	r.threaded[platform] = send
}

// SendDirect implements peers.Messenger.
func (r *chatRouter) SendDirect(ctx context.Context, platform, _ string, users []string, reply bot.Reply) error {
	r.mu.Lock()
	send := r.senders[platform]
	r.mu.Unlock()
	if send == nil {
		return fmt.Errorf("no %s adapter is running to send direct messages", platform)
	}
	return send(ctx, users, reply)
}

// setDedupeWindow records that platform's threaded sends recognise a
// repeat by the reply's IdempotencyKey for window.
func (r *chatRouter) setDedupeWindow(platform string, window time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dedupe == nil {
		r.dedupe = map[string]time.Duration{}
	}
	r.dedupe[platform] = window
}

// nudgeSender delivers nudges through the chat router, one learner at a
// time.
type nudgeSender struct{ router *chatRouter }

var _ nudges.DedupingSender = nudgeSender{}

// DedupeWindow implements nudges.DedupingSender.
func (n nudgeSender) DedupeWindow(platform string) time.Duration {
	n.router.mu.Lock()
	defer n.router.mu.Unlock()
	return n.router.dedupe[platform]
}

// SendDirect implements nudges.Sender: the message's id comes back where
// the platform's adapter gives one.
func (n nudgeSender) SendDirect(ctx context.Context, platform, workspace, userID string, reply bot.Reply) (string, error) {
	n.router.mu.Lock()
	send := n.router.threaded[platform]
	n.router.mu.Unlock()
	if send != nil {
		return send(ctx, userID, reply)
	}
	return "", n.router.SendDirect(ctx, platform, workspace, []string{userID}, reply)
}

// storeTimeZones reads learners' time zones from what the chat adapters
// recorded of them (store.People).
type storeTimeZones struct{ people store.People }

// TimeZone implements nudges.TimeZones; "" when the platform never said.
func (z storeTimeZones) TimeZone(ctx context.Context, platform, workspace, userID string) (string, error) {
	p, err := z.people.Person(ctx, platform, workspace, userID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return p.TimeZone, err
}
