package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/lorehq/lore/knowledge"
)

// Chat is the configured chat model, as the knowledge capability uses it.
type Chat struct {
	c     *Client
	model string
}

var _ knowledge.LanguageModel = (*Chat)(nil)

// NewChat returns the chat model of c's ChatModel.
func NewChat(c *Client) (*Chat, error) {
	if c.cfg.ChatModel == "" {
		return nil, errors.New("chat model: no model configured (LORE_CHAT_MODEL)")
	}
	return &Chat{c: c, model: c.cfg.ChatModel}, nil
}

// Name implements knowledge.LanguageModel.
func (ch *Chat) Name() string { return NamePrefix + ch.model }

// Complete implements knowledge.LanguageModel. With onDelta it streams:
// onDelta receives each piece of text as it arrives. A request is retried
// only before its first piece has been passed on, so that nobody sees text
// twice.
func (ch *Chat) Complete(ctx context.Context, msgs []knowledge.ChatMessage, onDelta func(string)) (string, error) {
	req := openai.ChatCompletionRequest{Model: ch.model, Temperature: 0.1}
	for _, m := range msgs {
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: m.Role, Content: m.Content})
	}
	var text strings.Builder
	if onDelta == nil {
		err := ch.c.retry(ctx, "chat with "+ch.model, func(ctx context.Context) error {
			res, err := ch.c.api.CreateChatCompletion(ctx, req)
			if err != nil {
				return err
			}
			if len(res.Choices) == 0 {
				return errEmptyResponse
			}
			if err := finishError(res.Choices[0].FinishReason); err != nil {
				return err
			}
			if n := len(res.Choices[0].Message.Content); n > MaxReplyBytes {
				return fmt.Errorf("%w: a reply of %d bytes, at most %d", ErrMalformed, n, MaxReplyBytes)
			}
			text.Reset()
			text.WriteString(res.Choices[0].Message.Content)
			return nil
		})
		return text.String(), err
	}
	req.Stream = true
	var streamed bool
	err := ch.c.retry(ctx, "chat with "+ch.model, func(ctx context.Context) error {
		stream, err := ch.c.api.CreateChatCompletionStream(ctx, req)
		if err != nil {
			return err
		}
		defer stream.Close()
		var finish openai.FinishReason
		for {
			res, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if streamed {
					// Text has been shown: a retry would repeat it.
					return fmt.Errorf("%w: stream broke off: %w", errNoRetry, err)
				}
				return err
			}
			for _, c := range res.Choices {
				if c.Index != 0 {
					continue
				}
				if c.FinishReason != "" {
					finish = c.FinishReason
				}
				if c.Delta.Content == "" {
					continue
				}
				if text.Len()+len(c.Delta.Content) > MaxReplyBytes {
					return fmt.Errorf("%w: %w: a reply longer than %d bytes", errNoRetry, ErrMalformed, MaxReplyBytes)
				}
				streamed = true
				text.WriteString(c.Delta.Content)
				onDelta(c.Delta.Content)
			}
		}
		err = finishError(finish)
		if finish == "" && streamed && !streamDone(ctx) {
			// The response ended without the model finishing: a server
			// or proxy gave up part way.
			err = fmt.Errorf("%w: the stream ended part way", ErrIncomplete)
		}
		switch {
		case err != nil && streamed:
			return fmt.Errorf("%w: %w", errNoRetry, err)
		case err != nil:
			return err
		case !streamed:
			return errEmptyResponse
		}
		return nil
	})
	return text.String(), err
}

// finishError says what is wrong with a reply that ended for reason; nil
// when the model finished it (or did not say).
func finishError(reason openai.FinishReason) error {
	switch reason {
	case openai.FinishReasonLength:
		return fmt.Errorf("%w: it reached the model's token limit", ErrIncomplete)
	case openai.FinishReasonContentFilter:
		return ErrFiltered
	}
	return nil
}

// MaxReplyBytes bounds a chat reply: a chat answer is a few sentences,
// and an endpoint that sends without end must not fill the memory.
const MaxReplyBytes = 32 << 10

// errNoRetry marks a failure after part of an answer was passed on.
var errNoRetry = errors.New("interrupted")
