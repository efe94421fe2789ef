package slack

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lorehq/lore/store"
)

// Secret is a token or signing secret. It prints, logs and marshals as
// "[redacted]" so that it cannot leak through an error message or a log
// line; Reveal returns the value for the one place that sends it.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String redacts the secret.
func (s Secret) String() string { return redacted }

// GoString redacts the secret from %#v.
func (s Secret) GoString() string { return redacted }

// LogValue redacts the secret from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText redacts the secret from JSON, YAML and friends.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Mode is how Slack reaches Lore.
type Mode string

// Connection modes.
const (
	// ModeSocket opens a websocket to Slack (Run): no public URL needed.
	ModeSocket Mode = "socket"
	// ModeHTTP receives signed HTTP requests (Handler).
	ModeHTTP Mode = "http"
)

// AnswerMode says when Lore answers in a channel.
type AnswerMode string

// Answer modes of a channel. In every mode Lore answers direct messages,
// mentions, and follow-ups in threads it has answered.
const (
	// AnswerMentioned answers only when Lore is mentioned (the default).
	AnswerMentioned AnswerMode = "mentioned"
	// AnswerAll also answers questions asked in the channel without a
	// mention: top-level messages that contain a question mark.
	AnswerAll AnswerMode = "all"
)

// ChannelSettings are the settings of one channel.
type ChannelSettings struct {
	Answer AnswerMode // default AnswerMentioned
	// Collections, when not empty, are the only collections answers in
	// this channel may cite; an answer citing another is withheld.
	Collections []string
}

// Environment variables read by ConfigFromEnv.
const (
	EnvAppToken      = "LORE_SLACK_APP_TOKEN"      // xapp-…, Socket Mode
	EnvBotToken      = "LORE_SLACK_BOT_TOKEN"      // xoxb-…
	EnvSigningSecret = "LORE_SLACK_SIGNING_SECRET" // HTTP mode
	EnvMode          = "LORE_SLACK_MODE"           // socket (default) or http
	EnvChannels      = "LORE_SLACK_CHANNELS"       // allow-list and per-channel settings
	// EnvAPIURL points the Web API elsewhere than slack.com: GovSlack
	// (https://slack-gov.com/api/), a proxy, or a fake in load tests.
	EnvAPIURL = "LORE_SLACK_API_URL"
	// EnvMaxConcurrent is Config.MaxConcurrent.
	EnvMaxConcurrent = "LORE_SLACK_MAX_CONCURRENT"
)

// Config configures an Adapter. Zero fields take the defaults named in
// their comments.
type Config struct {
	Mode          Mode   // default ModeSocket
	AppToken      Secret // xapp-…, required in socket mode
	BotToken      Secret // xoxb-…, always required
	SigningSecret Secret // required in HTTP mode

	// Channels, when not empty, is the channel allow-list: Lore answers
	// only in these channels (keyed by channel id), with their settings.
	// Direct messages are always answered.
	Channels map[string]ChannelSettings
	// AnswerBots lets messages from other bots be answered; Lore's own
	// messages are ignored regardless. Default false.
	AnswerBots bool

	// StreamInterval is the least time between two updates of a message
	// that shows an answer as it is written. Default 1s, within Slack's
	// chat.update limit.
	StreamInterval time.Duration
	// ClaimTTL is how long an event id is remembered for de-duplication.
	// Default 1h; Slack retries within minutes.
	ClaimTTL time.Duration
	// ThreadTTL is how long a thread Lore answered takes follow-ups
	// without a mention. Default 30 days.
	ThreadTTL time.Duration
	// WorkTimeout bounds the background work of one delivery. Default 2m.
	WorkTimeout time.Duration
	// MaxConcurrent bounds Web API calls in flight. Default 4.
	MaxConcurrent int
	// MaxInFlight bounds the events one replica handles at once. An event
	// beyond it is not acknowledged, so that Slack delivers it again
	// later (or to another replica) rather than this replica queueing
	// work it cannot finish: after an outage, a backlog must not starve
	// the acknowledgements. Default 256.
	MaxInFlight int

	Logger *slog.Logger     // default slog.Default()
	Clock  func() time.Time // default time.Now; judges request timestamps
	// HTTPClient makes Web API calls and response_url posts. Default a
	// client with a 30s timeout.
	HTTPClient *http.Client
	// APIURL is the Web API base, ending in "/". Default Slack's; tests
	// point it at a fake.
	APIURL string
	// ResponseURLPrefixes are the URL prefixes a response_url may have;
	// anything else is refused, so a forged payload cannot make Lore post
	// elsewhere. Default "https://hooks.slack.com/".
	ResponseURLPrefixes []string
}

// ConfigFromEnv reads the LORE_SLACK_* variables through getenv and
// reports every problem at once.
//
// LORE_SLACK_CHANNELS is a comma-separated list of channel entries
// ID[:MODE[:COLLECTION+COLLECTION...]], for example
// "C0123:all:handbook+policies,C0456"; MODE is "mentioned" or "all".
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Mode:          Mode(strings.ToLower(strings.TrimSpace(getenv(EnvMode)))),
		AppToken:      Secret(strings.TrimSpace(getenv(EnvAppToken))),
		BotToken:      Secret(strings.TrimSpace(getenv(EnvBotToken))),
		SigningSecret: Secret(strings.TrimSpace(getenv(EnvSigningSecret))),
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeSocket
	}
	var urlErr error
	if v := strings.TrimSpace(getenv(EnvAPIURL)); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			urlErr = fmt.Errorf("%s: %q is not an http(s) URL", EnvAPIURL, v)
		}
		if !strings.HasSuffix(v, "/") {
			v += "/"
		}
		cfg.APIURL = v
	}
	if v := strings.TrimSpace(getenv(EnvMaxConcurrent)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 256 {
			urlErr = errors.Join(urlErr, fmt.Errorf("%s: %q is not a whole number from 1 to 256", EnvMaxConcurrent, v))
		}
		cfg.MaxConcurrent = n
	}
	channels, chErr := ParseChannels(getenv(EnvChannels))
	cfg.Channels = channels
	err := errors.Join(cfg.Validate(), chErr, urlErr)
	return cfg, err
}

var channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{2,30}$`)

// ParseChannels parses the LORE_SLACK_CHANNELS syntax (see ConfigFromEnv).
// An empty string is no allow-list.
func ParseChannels(spec string) (map[string]ChannelSettings, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, nil
	}
	out := map[string]ChannelSettings{}
	var errs []error
	for entry := range strings.SplitSeq(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, ":")
		id := parts[0]
		if !channelIDPattern.MatchString(id) {
			errs = append(errs, fmt.Errorf("%s: %q is not a Slack channel id (like C0123ABCD)", EnvChannels, id))
			continue
		}
		s := ChannelSettings{Answer: AnswerMentioned}
		if len(parts) > 1 && parts[1] != "" {
			s.Answer = AnswerMode(strings.ToLower(parts[1]))
			if s.Answer != AnswerMentioned && s.Answer != AnswerAll {
				errs = append(errs, fmt.Errorf("%s: channel %s: answer mode %q is neither %q nor %q", EnvChannels, id, parts[1], AnswerMentioned, AnswerAll))
			}
		}
		if len(parts) > 2 && parts[2] != "" {
			for c := range strings.SplitSeq(parts[2], "+") {
				if err := store.CheckCollectionName(c); err != nil {
					errs = append(errs, fmt.Errorf("%s: channel %s: %w", EnvChannels, id, err))
					continue
				}
				s.Collections = append(s.Collections, c)
			}
		}
		if len(parts) > 3 {
			errs = append(errs, fmt.Errorf("%s: channel entry %q has more than ID:MODE:COLLECTIONS", EnvChannels, entry))
		}
		if _, dup := out[id]; dup {
			errs = append(errs, fmt.Errorf("%s: channel %s is listed twice", EnvChannels, id))
		}
		out[id] = s
	}
	return out, errors.Join(errs...)
}

// Validate reports every problem of the configuration at once. Secrets are
// named, never shown.
func (c Config) Validate() error {
	var errs []error
	switch c.Mode {
	case ModeSocket, "":
		if c.AppToken == "" {
			errs = append(errs, fmt.Errorf("%s is required in socket mode (an app-level token, xapp-…)", EnvAppToken))
		} else if !strings.HasPrefix(c.AppToken.Reveal(), "xapp-") {
			errs = append(errs, fmt.Errorf("%s must be an app-level token starting with xapp-", EnvAppToken))
		}
	case ModeHTTP:
		if c.SigningSecret == "" {
			errs = append(errs, fmt.Errorf("%s is required in http mode", EnvSigningSecret))
		}
	default:
		errs = append(errs, fmt.Errorf("%s is %q; want %q or %q", EnvMode, string(c.Mode), ModeSocket, ModeHTTP))
	}
	if c.BotToken == "" {
		errs = append(errs, fmt.Errorf("%s is required (a bot token, xoxb-…)", EnvBotToken))
	} else if !strings.HasPrefix(c.BotToken.Reveal(), "xoxb-") {
		errs = append(errs, fmt.Errorf("%s must be a bot token starting with xoxb-", EnvBotToken))
	}
	for id, s := range c.Channels {
		if s.Answer != "" && s.Answer != AnswerMentioned && s.Answer != AnswerAll {
			errs = append(errs, fmt.Errorf("channel %s: answer mode %q is neither %q nor %q", id, s.Answer, AnswerMentioned, AnswerAll))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"StreamInterval", c.StreamInterval}, {"ClaimTTL", c.ClaimTTL}, {"ThreadTTL", c.ThreadTTL}, {"WorkTimeout", c.WorkTimeout}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %s is negative", d.name, d.v))
		}
	}
	if c.MaxConcurrent < 0 {
		errs = append(errs, fmt.Errorf("MaxConcurrent %d is negative", c.MaxConcurrent))
	}
	if c.MaxInFlight < 0 {
		errs = append(errs, fmt.Errorf("MaxInFlight %d is negative", c.MaxInFlight))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Mode == "" {
		c.Mode = ModeSocket
	}
	if c.StreamInterval == 0 {
		c.StreamInterval = time.Second
	}
	if c.ClaimTTL == 0 {
		c.ClaimTTL = time.Hour
	}
	if c.ThreadTTL == 0 {
		c.ThreadTTL = 30 * 24 * time.Hour
	}
	if c.WorkTimeout == 0 {
		c.WorkTimeout = 2 * time.Minute
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = 4
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 256
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if c.ResponseURLPrefixes == nil {
		c.ResponseURLPrefixes = []string{"https://hooks.slack.com/"}
	}
}

// channel returns the settings of a channel and whether Lore may answer
// there at all. Direct messages are always allowed.
func (c *Config) channel(id string, direct bool) (ChannelSettings, bool) {
	if direct {
		return ChannelSettings{Answer: AnswerAll}, true
	}
	if len(c.Channels) == 0 {
		return ChannelSettings{Answer: AnswerMentioned}, true
	}
	s, ok := c.Channels[id]
	if s.Answer == "" {
		s.Answer = AnswerMentioned
	}
	return s, ok
}

func (c *Config) responseURLAllowed(u string) bool {
	return slices.ContainsFunc(c.ResponseURLPrefixes, func(p string) bool { return strings.HasPrefix(u, p) })
}
