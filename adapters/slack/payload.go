package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/lorehq/lore/bot/trace"
)

// ErrMalformed means a delivery could not be read; the error says why,
// never with the payload's secrets (it has none: Slack signs, not embeds).
var ErrMalformed = errors.New("malformed slack payload")

// maxPayload bounds a delivery's body. Slack's own are a few kilobytes;
// anything far larger is refused before it is parsed.
const maxPayload = 1 << 20

// envelope is an Events API delivery (the outer event).
type envelope struct {
	Type      string     `json:"type"` // event_callback, url_verification
	Challenge string     `json:"challenge"`
	TeamID    string     `json:"team_id"`
	EventID   string     `json:"event_id"`
	Event     innerEvent `json:"event"`
	// MinuteRateLimited is when Slack began to hold back the workspace's
	// events (app_rate_limited), in Unix seconds.
	MinuteRateLimited int64 `json:"minute_rate_limited"`
}

// Envelope types of the Events API.
const (
	envelopeEvent           = "event_callback"
	envelopeURLVerification = "url_verification"
	// envelopeRateLimited says that Slack is holding back a workspace's
	// events (more than 30,000 in an hour). It has no event; it must be
	// acknowledged all the same, since Slack disables the subscriptions
	// of an app that fails to answer 200 to more than 5% of deliveries.
	envelopeRateLimited = "app_rate_limited"
)

// innerEvent holds the fields Lore reads from the events it handles:
// app_mention, message (message.im, message.channels, message.groups) and
// app_home_opened.
type innerEvent struct {
	Type        string `json:"type"`
	Subtype     string `json:"subtype"`
	User        string `json:"user"`
	BotID       string `json:"bot_id"`
	Text        string `json:"text"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type"` // im, channel, group, mpim
	Tab         string `json:"tab"`          // app_home_opened
	Team        string `json:"team"`
	// Edited is set on an app_mention that Slack sends again, under a
	// new event id, when a message that mentions Lore is edited.
	Edited *struct {
		User string `json:"user"`
		TS   string `json:"ts"`
	} `json:"edited"`
	// Joined is team_join's user object, whose id is also in User
	// (events_join.go).
	Joined *joinedUser `json:"-"`
}

// Event types Lore handles; the manifest subscribes to exactly these (see
// manifest_test.go).
const (
	eventAppMention    = "app_mention"
	eventMessage       = "message"
	eventAppHomeOpened = "app_home_opened"
)

// parseEnvelope reads an Events API body.
func parseEnvelope(body []byte) (envelope, error) {
	var e envelope
	if len(body) > maxPayload {
		return e, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(body), maxPayload)
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return e, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch e.Type {
	case envelopeURLVerification:
		if e.Challenge == "" {
			return e, fmt.Errorf("%w: url_verification without a challenge", ErrMalformed)
		}
	case envelopeEvent:
		if e.EventID == "" || e.Event.Type == "" {
			return e, fmt.Errorf("%w: event_callback without event_id or event type", ErrMalformed)
		}
	case envelopeRateLimited:
	default:
		return e, fmt.Errorf("%w: unknown envelope type %q", ErrMalformed, e.Type)
	}
	return e, nil
}

// command is a /lore invocation, from a form (HTTP) or JSON (Socket Mode).
type command struct {
	Command     string `json:"command"`
	Text        string `json:"text"`
	TeamID      string `json:"team_id"`
	ChannelID   string `json:"channel_id"`
	ChannelName string `json:"channel_name"`
	UserID      string `json:"user_id"`
	ResponseURL string `json:"response_url"`
	TriggerID   string `json:"trigger_id"`
}

func (c command) validate() error {
	if c.Command == "" || c.UserID == "" || c.ChannelID == "" {
		return fmt.Errorf("%w: slash command without command, user_id or channel_id", ErrMalformed)
	}
	return nil
}

// parseCommandForm reads a slash command as Slack posts it over HTTP.
func parseCommandForm(body []byte) (command, error) {
	if len(body) > maxPayload {
		return command{}, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(body), maxPayload)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return command{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	c := command{
		Command: v.Get("command"), Text: v.Get("text"), TeamID: v.Get("team_id"),
		ChannelID: v.Get("channel_id"), ChannelName: v.Get("channel_name"),
		UserID: v.Get("user_id"), ResponseURL: v.Get("response_url"),
	}
	return c, c.validate()
}

// isSSLCheck reports whether body is Slack's check of a slash command's
// Request URL certificate: a form with ssl_check=1 and, optionally, the
// app's legacy verification token, which Slack posts without signature
// headers and answers with a 200. Any other field, a repeated field or
// another ssl_check value makes it an ordinary request, which must be
// signed.
func isSSLCheck(body []byte) bool {
	v, err := url.ParseQuery(string(body))
	if err != nil || len(v["ssl_check"]) != 1 || v.Get("ssl_check") != "1" {
		return false
	}
	for k, vs := range v {
		if k != "ssl_check" && k != "token" || len(vs) != 1 {
			return false
		}
	}
	return true
}

// parseCommandJSON reads a slash command as Socket Mode delivers it.
func parseCommandJSON(payload []byte) (command, error) {
	var c command
	if err := json.Unmarshal(payload, &c); err != nil {
		return c, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return c, c.validate()
}

// interaction is a block_actions payload (a button press) or a
// message_action payload (a message shortcut, such as Save to knowledge).
type interaction struct {
	Type string `json:"type"`
	// CallbackID names a message shortcut (message_action).
	CallbackID string `json:"callback_id"`
	User       struct {
		ID     string `json:"id"`
		TeamID string `json:"team_id"`
	} `json:"user"`
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Container struct {
		Type        string `json:"type"` // message, view
		MessageTS   string `json:"message_ts"`
		ThreadTS    string `json:"thread_ts"`
		ChannelID   string `json:"channel_id"`
		IsEphemeral bool   `json:"is_ephemeral"`
	} `json:"container"`
	// Message is the message pressed on; for a shortcut, the message it
	// was used on, with its author and text.
	Message struct {
		TS       string `json:"ts"`
		ThreadTS string `json:"thread_ts"`
		User     string `json:"user"`
		BotID    string `json:"bot_id"`
		Text     string `json:"text"`
	} `json:"message"`
	ResponseURL string `json:"response_url"`
	TriggerID   string `json:"trigger_id"`
	Actions     []struct {
		ActionID string `json:"action_id"`
		BlockID  string `json:"block_id"`
		Value    string `json:"value"`
	} `json:"actions"`
}

func (i interaction) team() string {
	if i.Team.ID != "" {
		return i.Team.ID
	}
	return i.User.TeamID
}

func (i interaction) channel() string {
	if i.Channel.ID != "" {
		return i.Channel.ID
	}
	return i.Container.ChannelID
}

// thread is the thread the pressed message belongs to, or the message
// itself when it starts one.
func (i interaction) thread() string {
	for _, ts := range []string{i.Container.ThreadTS, i.Message.ThreadTS, i.Message.TS, i.Container.MessageTS} {
		if ts != "" {
			return ts
		}
	}
	return ""
}

// Interaction types Lore handles.
const (
	interactionBlockActions  = "block_actions"
	interactionMessageAction = "message_action"
)

// parseInteractionJSON reads a block_actions or message_action payload.
// Other interaction types are refused as not handled.
func parseInteractionJSON(payload []byte) (interaction, error) {
	var i interaction
	if len(payload) > maxPayload {
		return i, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(payload), maxPayload)
	}
	if err := json.Unmarshal(payload, &i); err != nil {
		return i, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if i.Type == interactionMessageAction {
		if i.User.ID == "" || i.CallbackID == "" || i.Message.TS == "" || i.channel() == "" {
			return i, fmt.Errorf("%w: message_action without user, callback_id, channel or message", ErrMalformed)
		}
		return i, nil
	}
	if i.Type != interactionBlockActions {
		return i, fmt.Errorf("%w: interaction type %q is not handled", ErrMalformed, i.Type)
	}
	if i.User.ID == "" || len(i.Actions) == 0 {
		return i, fmt.Errorf("%w: block_actions without user or actions", ErrMalformed)
	}
	for k := range i.Actions {
		i.Actions[k].ActionID = coreActionID(i.Actions[k].ActionID)
	}
	return i, nil
}

// parseInteractionForm reads the payload field Slack posts over HTTP.
func parseInteractionForm(body []byte) (interaction, error) {
	if len(body) > maxPayload {
		return interaction{}, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(body), maxPayload)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return interaction{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return parseInteractionJSON([]byte(v.Get("payload")))
}

var mention = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^>]*)?>`)

// mentions reports whether text mentions user.
func mentions(text, user string) bool {
	for _, m := range mention.FindAllStringSubmatch(text, -1) {
		if m[1] == user {
			return true
		}
	}
	return false
}

// stripMention removes mentions of user and tidies the space left.
func stripMention(text, user string) string {
	text = mention.ReplaceAllStringFunc(text, func(m string) string {
		if sub := mention.FindStringSubmatch(m); sub[1] == user {
			return ""
		}
		return m
	})
	return strings.Join(strings.Fields(text), " ")
}

// unescapeText turns the entities Slack sends in message text back into
// characters, so the core sees what the person typed.
func unescapeText(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// requestContext gives ctx the request id of a slash command or button
// press: Slack's trigger id, or a new id when the payload has none.
func requestContext(ctx context.Context, triggerID string) context.Context {
	if triggerID != "" {
		return trace.WithRequestID(ctx, triggerID)
	}
	return trace.Ensure(ctx)
}
