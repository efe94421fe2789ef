package discord

import (
	"context"
	"sync"

	"github.com/bwmarrin/discordgo"
)

// channelInfo is what Lore needs to know about a channel to place a
// message: whether it is a thread, whose, and in which channel.
type channelInfo struct {
	thread  bool
	ownerID string // for a thread: who started it
	parent  string // for a thread: its channel
}

// channelCache remembers channel facts so that a message costs no REST
// call after the first in its channel. It forgets everything when full.
type channelCache struct {
	s   *discordgo.Session
	max int

	mu sync.Mutex
	m  map[string]channelInfo
}

func newChannelCache(s *discordgo.Session, max int) *channelCache {
	return &channelCache{s: s, max: max, m: map[string]channelInfo{}}
}

// remember records a channel Lore learned about, such as a thread it
// started.
func (c *channelCache) remember(id string, info channelInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[id] = info
}

// lookup returns the facts of channel id: from memory, from discordgo's
// state (filled by the gateway), or from the REST API.
func (c *channelCache) lookup(ctx context.Context, id string) (channelInfo, error) {
	c.mu.Lock()
	info, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return info, nil
	}
	ch, err := c.s.State.Channel(id)
	if err != nil || ch == nil {
		ch, err = c.s.Channel(id, discordgo.WithContext(ctx))
		if err != nil {
			return channelInfo{}, err
		}
	}
	info = channelInfo{thread: ch.IsThread(), ownerID: ch.OwnerID, parent: ch.ParentID}
	c.remember(id, info)
	return info, nil
}

// parent returns the channel a thread belongs to, from memory or
// discordgo's state only, so that it costs no request; id itself when it
// is not a known thread.
func (c *channelCache) parent(id string) string {
	c.mu.Lock()
	info, ok := c.m[id]
	c.mu.Unlock()
	if ok && info.thread && info.parent != "" {
		return info.parent
	}
	if ch, err := c.s.State.Channel(id); err == nil && ch != nil && ch.IsThread() && ch.ParentID != "" {
		return ch.ParentID
	}
	return id
}
