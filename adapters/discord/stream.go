package discord

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// streamer shows a reply while the core writes it. The core's StreamFunc
// only records the latest text; a goroutine of the streamer publishes it
// (posting the message the first time, editing it after) at most once per
// interval, so a model producing tokens quickly costs a handful of edits,
// well inside Discord's rate limits.
type streamer struct {
	interval time.Duration
	publish  func(ctx context.Context, preview string) error
	log      *slog.Logger

	mu     sync.Mutex
	latest string
	fresh  bool

	signal  chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

func startStreamer(ctx context.Context, interval time.Duration, log *slog.Logger, publish func(context.Context, string) error) *streamer {
	s := &streamer{
		interval: interval, publish: publish, log: log,
		signal: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{}),
	}
	go s.loop(ctx)
	return s
}

// update is the bot.StreamFunc: it never blocks the answering goroutine.
func (s *streamer) update(textSoFar string) {
	s.mu.Lock()
	s.latest, s.fresh = textSoFar, true
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// stop ends streaming and waits for an edit in progress, so that the final
// reply is never overwritten by a late preview.
func (s *streamer) stop() {
	close(s.done)
	<-s.stopped
}

func (s *streamer) loop(ctx context.Context) {
	defer close(s.stopped)
	for {
		select {
		case <-s.done:
			return
		case <-ctx.Done():
			return
		case <-s.signal:
		}
		s.mu.Lock()
		text, fresh := s.latest, s.fresh
		s.fresh = false
		s.mu.Unlock()
		if fresh && text != "" {
			if err := s.publish(ctx, preview(text)); err != nil {
				s.log.WarnContext(ctx, "showing a partial answer failed", "err", err)
			}
		}
		t := time.NewTimer(s.interval)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// preview is the text so far as one message: escaped, links unmasked as
// in the final reply, and cut with an ellipsis at Discord's limit until
// the final reply splits it properly.
func preview(text string) string {
	return truncate(renderMarkdown(text), maxContent)
}
