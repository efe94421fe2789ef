package slack

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// streamer shows an answer while the core writes it: the first text is
// posted in the thread, later text replaces it with chat.update, at most
// once per StreamInterval whatever the rate of tokens. The core's stream
// callback only records the latest text and returns; Web API calls happen
// on the streamer's own goroutine.
type streamer struct {
	a               *Adapter
	ctx             context.Context
	channel, thread string
	interval        time.Duration

	mu     sync.Mutex
	latest string
	ts     string // the posted message, once there is one

	signal   chan struct{}
	done     chan struct{}
	finished chan struct{}
}

func (a *Adapter) newStreamer(ctx context.Context, channel, thread string) *streamer {
	s := &streamer{
		a: a, ctx: ctx, channel: channel, thread: thread, interval: a.cfg.StreamInterval,
		signal: make(chan struct{}, 1), done: make(chan struct{}), finished: make(chan struct{}),
	}
	go s.loop()
	return s
}

// update is the bot.StreamFunc.
func (s *streamer) update(textSoFar string) {
	s.mu.Lock()
	s.latest = textSoFar
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func (s *streamer) loop() {
	defer close(s.finished)
	var last time.Time
	for {
		select {
		case <-s.signal:
		case <-s.done:
			return
		}
		if wait := s.interval - time.Since(last); !last.IsZero() && wait > 0 {
			select {
			case <-time.After(wait):
			case <-s.done:
				return
			}
		}
		s.mu.Lock()
		text, ts := s.latest, s.ts
		s.mu.Unlock()
		opts := []slack.MsgOption{
			slack.MsgOptionText(truncate(Escape(plain(text)), maxFallback), false),
			slack.MsgOptionBlocks(
				section(blockIDAnswerPfx+"_0", truncate(Mrkdwn(text), maxSectionText)),
				slack.NewContextBlock("lore_writing", slack.NewTextBlockObject(slack.MarkdownType, "_writing…_", false, false)),
			),
		}
		last = time.Now()
		if ts == "" {
			posted, err := s.a.post(s.ctx, s.channel, s.thread, opts...)
			if err != nil {
				continue
			}
			s.mu.Lock()
			s.ts = posted
			s.mu.Unlock()
			continue
		}
		_ = s.a.call(s.ctx, "chat.update", func(ctx context.Context) error {
			_, _, _, err := s.a.api.UpdateMessageContext(ctx, s.channel, ts, opts...)
			return err
		})
	}
}

// stop ends streaming, waiting for a call in flight, and returns the
// message posted, if any, for the final reply to replace.
func (s *streamer) stop() string {
	close(s.done)
	<-s.finished
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ts
}
