package discord

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
)

// Platform is bot.Message.Platform for everything from Discord, and the
// PLATFORM of references to Discord people and channels.
const Platform = "discord"

// Core is the bot as the adapter uses it; *bot.Bot satisfies it.
type Core interface {
	HandleMessage(ctx context.Context, msg bot.Message) bot.Reply
	HandleMessageStream(ctx context.Context, msg bot.Message, stream bot.StreamFunc) bot.Reply
	HandleAction(ctx context.Context, a bot.Action) bot.Reply
}

var _ Core = (*bot.Bot)(nil)

// Claims de-duplicates work across replicas and gateway redeliveries:
// Claim returns first true for exactly one caller per key within ttl.
type Claims interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (first bool, err error)
}

// Deps are the adapter's optional collaborators.
type Deps struct {
	// Claims, shared between replicas (a store), keeps two replicas or a
	// gateway resume from answering one message twice. Default: an
	// in-memory set, which de-duplicates within this process only.
	Claims Claims
	// Joins hears of people joining a guild, for onboarding (needs
	// Config.GuildMembers). Default nil: joins are ignored.
	Joins JoinHandler
	// Saves takes the Save to knowledge message command; *bot.Bot is one.
	// Default nil: the command answers that saving is not set up.
	Saves Saver
}

// Saver takes "Save to knowledge" on a message; *bot.Bot satisfies it.
type Saver interface {
	HandleSave(ctx context.Context, req bot.SaveRequest) bot.Reply
}

var _ Saver = (*bot.Bot)(nil)

// claimTTL is how long a message or interaction id stays claimed: longer
// than any redelivery and than an interaction token lives.
const claimTTL = 20 * time.Minute

// Adapter connects Lore to Discord.
type Adapter struct {
	cfg     Config
	core    Core
	claims  Claims
	log     *slog.Logger
	now     func() time.Time
	pubKey  ed25519.PublicKey
	session *discordgo.Session
	subs    []Subcommand

	mu        sync.Mutex
	botUserID string
	channels  *channelCache
	// memberRoles caches members' roles, for LORE_ROLE_MAP (memberroles.go).
	memberRoles memberRoles
	// selfRoles caches Lore's own managed roles, for role mentions
	// (rolemention.go).
	selfRoles selfRoles

	work    sync.WaitGroup // handlers in flight
	retries *retryQueue
	joins   JoinHandler
	saves   Saver
}

// New returns an Adapter; it does not connect until Run.
func New(cfg Config, core Core, deps Deps) (*Adapter, error) {
	if core == nil {
		return nil, errors.New("discord: a core is required")
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("discord: invalid configuration: %w", err)
	}
	if cfg.ShardCount == 0 {
		cfg.ShardCount = 1
	}
	if cfg.StreamInterval <= 0 {
		cfg.StreamInterval = time.Second
	}
	if cfg.MaxTimestampAge <= 0 {
		cfg.MaxTimestampAge = 5 * time.Minute
	}
	a := &Adapter{cfg: cfg, core: core, claims: deps.Claims, log: cfg.Logger, now: cfg.Clock, subs: cfg.subcommands(), joins: deps.Joins, saves: deps.Saves}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("adapter", Platform)
	if a.now == nil {
		a.now = time.Now
	}
	if a.claims == nil {
		a.claims = newMemClaims(a.now)
	}
	if cfg.PublicKey != "" {
		a.pubKey, _ = parsePublicKey(cfg.PublicKey) // validated above
	}
	s, err := discordgo.New("Bot " + cfg.Token.reveal())
	if err != nil {
		return nil, errors.New("discord: cannot create a session")
	}
	// discordgo logs the identify packet, token included, at debug level;
	// it must never go above errors.
	s.LogLevel = discordgo.LogError
	if cfg.HTTPClient != nil {
		s.Client = cfg.HTTPClient
	}
	s.ShardID, s.ShardCount = cfg.ShardID, cfg.ShardCount
	s.Identify.Intents = a.intents()
	s.StateEnabled = true
	a.session = s
	a.channels = newChannelCache(s, 4096)
	a.retries = newRetryQueue(a)
	s.AddHandler(a.onReady)
	s.AddHandler(a.onMessageCreate)
	s.AddHandler(a.onInteractionCreate)
	s.AddHandler(a.onGuildMemberAdd)
	return a, nil
}

// intents are the gateway intents Lore asks for: guilds (so that threads
// and channels are known), guild and direct messages, and Message Content
// only when configured, since it is privileged.
func (a *Adapter) intents() discordgo.Intent {
	in := discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	if a.cfg.MessageContent {
		in |= discordgo.IntentsMessageContent
	}
	if a.cfg.GuildMembers {
		in |= discordgo.IntentsGuildMembers
	}
	return in
}

// Run registers the slash commands, connects to the gateway and handles
// events until ctx is done; then it disconnects and waits for the answers
// in progress.
func (a *Adapter) Run(ctx context.Context) error {
	if err := a.RegisterCommands(ctx); err != nil {
		return err
	}
	if err := a.session.Open(); err != nil {
		return a.apiError("connect to the gateway", err)
	}
	a.log.InfoContext(ctx, "connected to the Discord gateway", "shard", a.cfg.ShardID, "shards", a.cfg.ShardCount)
	<-ctx.Done()
	closeErr := a.session.Close()
	a.work.Wait()
	if closeErr != nil {
		return a.apiError("disconnect from the gateway", closeErr)
	}
	return nil
}

// RegisterCommands overwrites the application's /lore command (and the
// Save to knowledge message command when Deps.Saves is set), for
// Config.GuildID when set and globally otherwise. Run calls it.
func (a *Adapter) RegisterCommands(ctx context.Context) error {
	_, err := a.session.ApplicationCommandBulkOverwrite(a.cfg.AppID, a.cfg.GuildID, applicationCommands(a.subs, a.saves != nil), discordgo.WithContext(ctx))
	return a.apiError("register slash commands", err)
}

// Close stops the retry queue, reporting messages it could not deliver,
// and waits for handlers in progress. Call it after Run has returned.
func (a *Adapter) Close() error {
	a.retries.close()
	a.work.Wait()
	return nil
}

func (a *Adapter) onReady(_ *discordgo.Session, r *discordgo.Ready) {
	if r.User == nil {
		return
	}
	a.mu.Lock()
	a.botUserID = r.User.ID
	a.mu.Unlock()
}

func (a *Adapter) selfID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.botUserID
}

// handlerContext is the context of one event handler: discordgo gives
// handlers none, and an answer must not outlive an interaction token.
func (a *Adapter) handlerContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), interactionWindow)
}

// Ready reports whether the gateway connection is up (READY received and
// not lost since), for a readiness probe.
func (a *Adapter) Ready(context.Context) error {
	a.session.RLock()
	ok := a.session.DataReady
	a.session.RUnlock()
	if !ok {
		return errors.New("not connected to the Discord gateway")
	}
	return nil
}
