package cli

import (
	"context"
	"errors"
	"time"

	"github.com/lorehq/lore/adapters/web"
	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
)

// platformKey carries a message's platform from the measured core to the
// measured knowledge, which the core calls with the same context.
type platformKey struct{}

// measuredCore tags each message's context with its platform, for the
// question metrics; it is what lore serve gives the chat adapters.
type measuredCore struct{ *bot.Bot }

func (c measuredCore) HandleMessage(ctx context.Context, msg bot.Message) bot.Reply {
	return c.Bot.HandleMessage(context.WithValue(ctx, platformKey{}, msg.Platform), msg)
}

func (c measuredCore) HandleMessageStream(ctx context.Context, msg bot.Message, stream bot.StreamFunc) bot.Reply {
	return c.Bot.HandleMessageStream(context.WithValue(ctx, platformKey{}, msg.Platform), msg, stream)
}

// measuredKnowledge counts questions and answers, their outcome, time and
// retrieval confidence, in lore serve's /metrics.
type measuredKnowledge struct {
	*knowledge.Service
	m *web.Metrics
}

var _ bot.StreamingKnowledge = measuredKnowledge{}

func (k measuredKnowledge) Ask(ctx context.Context, question string) (knowledge.Answer, error) {
	return k.AskWith(ctx, knowledge.AskRequest{Scope: store.Everything, Question: question})
}

func (k measuredKnowledge) AskWith(ctx context.Context, req knowledge.AskRequest) (knowledge.Answer, error) {
	platform, _ := ctx.Value(platformKey{}).(string)
	if platform == "" {
		platform = "other"
	}
	start := time.Now()
	k.m.Question(platform)
	ans, err := k.Service.AskWith(ctx, req)
	switch {
	case err != nil && !errors.Is(err, knowledge.ErrEmptyQuestion) && !errors.Is(err, knowledge.ErrQuestionTooLong) && !errors.Is(err, knowledge.ErrInvalidText):
		k.m.Answer(platform, web.OutcomeError, time.Since(start), -1)
	case err != nil:
		// Refused input is neither answered nor a failure of Lore's.
	case ans.Mode == knowledge.ModeFallback:
		k.m.Answer(platform, web.OutcomeFallback, time.Since(start), ans.Confidence)
	case ans.Confident:
		k.m.Answer(platform, web.OutcomeGrounded, time.Since(start), ans.Confidence)
	default:
		k.m.Answer(platform, web.OutcomeNoAnswer, time.Since(start), ans.Confidence)
	}
	return ans, err
}
