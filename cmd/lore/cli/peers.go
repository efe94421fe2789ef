package cli

import (
	"context"
	"errors"
	"sync"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
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
func (a *app) peerCapability(st store.Store, m peers.Messenger) (bot.Peers, error) {
	ps, ok := st.(store.Peers)
	if !ok {
		return nil, nil
	}
	svc, err := peers.New(peers.Config{Store: ps, Events: st, Messenger: m, Logger: a.log})
	if err != nil {
		return nil, err
	}
	return svc, nil
}
