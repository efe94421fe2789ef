package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config configures an Adapter. Token and AppID are required.
type Config struct {
	// Token is the bot token from the developer portal (without "Bot ").
	Token Secret
	// AppID is the application id, a snowflake.
	AppID string
	// PublicKey is the application's Ed25519 public key in hex, as the
	// developer portal shows it. Required only for Handler, the HTTP
	// interactions endpoint.
	PublicKey string
	// GuildID, when set, registers the slash commands for this guild only,
	// where changes show at once; global commands are for production.
	GuildID string
	// ShardID and ShardCount split guilds between processes. Direct
	// messages always arrive on shard 0. Default 0 of 1.
	ShardID, ShardCount int
	// MessageContent asks for the privileged Message Content intent, which
	// must also be enabled in the developer portal. Without it Lore still
	// reads direct messages and messages that mention it, but not
	// unmentioned follow-ups in its threads nor other channel messages.
	MessageContent bool
	// GuildMembers asks for the privileged Server Members intent, which
	// must also be enabled in the developer portal: Lore then hears of
	// people joining a guild (onboarding). Pairing rounds list guild
	// members over REST, which needs the intent enabled in the portal
	// but not this setting.
	GuildMembers bool
	// Settings restrict where and how Lore answers.
	Settings Settings
	// Subcommands are added to /lore beside ask and help, for capabilities
	// that bring commands of their own.
	Subcommands []Subcommand
	// GroupChannelID is the channel in which SendDirect starts a private
	// thread for several people; without it each gets a direct message.
	GroupChannelID string

	// StreamInterval bounds how often a message being written is edited.
	// Default 1s (Discord allows about five edits per five seconds).
	StreamInterval time.Duration
	// MaxTimestampAge bounds how old (or how far in the future) a signed
	// HTTP interaction may be. Default 5 minutes.
	MaxTimestampAge time.Duration

	Logger     *slog.Logger     // default slog.Default()
	Clock      func() time.Time // default time.Now
	HTTPClient *http.Client     // default a client with a 20 s timeout
}

// Settings say where Lore answers and from which collections. Channel
// settings override guild settings, which override Default; a thread uses
// its parent channel's.
type Settings struct {
	// AllowGuilds, when not empty, is the allow-list of guilds Lore
	// answers in. Direct messages are not affected.
	AllowGuilds []string `json:"allow_guilds,omitempty"`
	// AllowChannels, when not empty, is the allow-list of channels.
	AllowChannels []string `json:"allow_channels,omitempty"`
	// Default applies where no guild or channel entry does.
	Default Place `json:"default"`
	// Guilds and Channels are keyed by id.
	Guilds   map[string]Place `json:"guilds,omitempty"`
	Channels map[string]Place `json:"channels,omitempty"`
}

// Place is the settings of one guild or channel. Unset fields inherit.
type Place struct {
	// AnswerAll makes Lore answer every message in the channel, not only
	// those that mention it (needs MessageContent). Default false.
	AnswerAll *bool `json:"answer_all,omitempty"`
	// Collections limits answers to these collections; empty means all.
	Collections []string `json:"collections,omitempty"`
}

// policy is the resolved settings for one place.
type policy struct {
	allowed     bool
	answerAll   bool
	collections []string
}

// resolve returns the policy for a message in guild and channel (the parent
// channel for a thread). A direct message has no guild.
func (s Settings) resolve(guild, channel string) policy {
	p := policy{allowed: true}
	if guild != "" {
		if len(s.AllowGuilds) > 0 && !slices.Contains(s.AllowGuilds, guild) {
			p.allowed = false
		}
		if len(s.AllowChannels) > 0 && !slices.Contains(s.AllowChannels, channel) {
			p.allowed = false
		}
	}
	apply := func(pl Place, ok bool) {
		if !ok {
			return
		}
		if pl.AnswerAll != nil {
			p.answerAll = *pl.AnswerAll
		}
		if pl.Collections != nil {
			p.collections = pl.Collections
		}
	}
	apply(s.Default, true)
	if guild != "" {
		pl, ok := s.Guilds[guild]
		apply(pl, ok)
		pl, ok = s.Channels[channel]
		apply(pl, ok)
	}
	return p
}

// Place reports whether Lore answers in guild and channel (the parent
// channel for a thread; no guild for a direct message) and the collections
// its answers are limited to there (none: all), as the adapter resolves
// them, so that lore ask --as answers as the adapter would.
func (s Settings) Place(guild, channel string) (allowed bool, collections []string) {
	p := s.resolve(guild, channel)
	return p.allowed, p.collections
}

// Environment variables read by ConfigFromEnv.
const (
	EnvToken          = "LORE_DISCORD_TOKEN"
	EnvAppID          = "LORE_DISCORD_APP_ID"
	EnvPublicKey      = "LORE_DISCORD_PUBLIC_KEY"
	EnvGuildID        = "LORE_DISCORD_GUILD_ID"
	EnvShardID        = "LORE_DISCORD_SHARD_ID"
	EnvShardCount     = "LORE_DISCORD_SHARD_COUNT"
	EnvMessageContent = "LORE_DISCORD_MESSAGE_CONTENT"
	// EnvGuildMembers is Config.GuildMembers.
	EnvGuildMembers = "LORE_DISCORD_GUILD_MEMBERS"
	// EnvSettings holds Settings as JSON, for example
	// {"allow_guilds":["123"],"channels":{"456":{"answer_all":true}}}.
	EnvSettings = "LORE_DISCORD_SETTINGS"
	// EnvGroupChannel is Config.GroupChannelID.
	EnvGroupChannel = "LORE_DISCORD_GROUP_CHANNEL_ID"
)

// ConfigFromEnv reads a Config from the environment and reports every
// problem at once. Values of secrets are never echoed in errors.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	cfg := Config{
		AppID:          strings.TrimSpace(getenv(EnvAppID)),
		PublicKey:      strings.TrimSpace(getenv(EnvPublicKey)),
		GuildID:        strings.TrimSpace(getenv(EnvGuildID)),
		GroupChannelID: strings.TrimSpace(getenv(EnvGroupChannel)),
		ShardCount:     1,
	}
	token := strings.TrimSpace(getenv(EnvToken))
	token = strings.TrimPrefix(token, "Bot ")
	cfg.Token = Secret(token)
	if v := getenv(EnvShardID); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number", EnvShardID, v))
		}
		cfg.ShardID = n
	}
	if v := getenv(EnvShardCount); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number of at least 1", EnvShardCount, v))
			n = 1
		}
		cfg.ShardCount = n
	}
	if v := getenv(EnvMessageContent); v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", EnvMessageContent, v))
		}
		cfg.MessageContent = b
	}
	if v := getenv(EnvGuildMembers); v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", EnvGuildMembers, v))
		}
		cfg.GuildMembers = b
	}
	if v := getenv(EnvSettings); v != "" {
		s, err := ParseSettings(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvSettings, err))
		}
		cfg.Settings = s
	}
	if err := cfg.validate(); err != nil {
		errs = append(errs, err)
	}
	return cfg, errors.Join(errs...)
}

// ParseSettings reads Settings from JSON, refusing unknown fields (a typo
// would otherwise leave a channel open).
func ParseSettings(v string) (Settings, error) {
	var s Settings
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Settings{}, fmt.Errorf("not valid settings JSON: %v", err)
	}
	return s, nil
}

// validate reports every problem of the configuration at once.
func (c Config) validate() error {
	var errs []error
	if c.Token == "" {
		errs = append(errs, fmt.Errorf("%s: the bot token is required", EnvToken))
	} else if strings.ContainsAny(c.Token.reveal(), " \t\r\n") {
		errs = append(errs, fmt.Errorf("%s: the bot token contains white space", EnvToken))
	}
	if c.AppID == "" {
		errs = append(errs, fmt.Errorf("%s: the application id is required", EnvAppID))
	} else if !isSnowflake(c.AppID) {
		errs = append(errs, fmt.Errorf("%s: %q is not a Discord id (digits only)", EnvAppID, c.AppID))
	}
	if c.PublicKey != "" {
		if _, err := parsePublicKey(c.PublicKey); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", EnvPublicKey, err))
		}
	}
	if c.GuildID != "" && !isSnowflake(c.GuildID) {
		errs = append(errs, fmt.Errorf("%s: %q is not a Discord id (digits only)", EnvGuildID, c.GuildID))
	}
	if c.GroupChannelID != "" && !isSnowflake(c.GroupChannelID) {
		errs = append(errs, fmt.Errorf("%s: %q is not a Discord id (digits only)", EnvGroupChannel, c.GroupChannelID))
	}
	// A zero shard count is the default, one shard.
	if count := max(c.ShardCount, 1); c.ShardCount < 0 {
		errs = append(errs, fmt.Errorf("%s: the shard count must be at least 1, not %d", EnvShardCount, c.ShardCount))
	} else if c.ShardID < 0 || c.ShardID >= count {
		errs = append(errs, fmt.Errorf("%s: shard id %d is outside 0..%d", EnvShardID, c.ShardID, count-1))
	}
	for _, s := range c.Subcommands {
		if err := s.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func parsePublicKey(h string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("the public key must be %d hexadecimal characters", 2*ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// isSnowflake reports whether s looks like a Discord id: 1 to 20 digits.
func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
