package cli

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lorehq/lore/adapters/discord"
	"github.com/lorehq/lore/adapters/slack"
	"github.com/lorehq/lore/adapters/web"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/store"
)

// A setting is one configuration key. Its environment variable is the
// name; in the YAML file the same key is written in lower case and nested
// at each underscore group the registry lists, for example
//
//	database:
//	  url: postgres://...
//
// for LORE_DATABASE_URL. Secrets are never read from the YAML file: only
// from the environment, or from a file named by NAME_FILE (the way
// Docker and Kubernetes secrets are mounted).
type setting struct {
	Name    string // environment variable, LORE_...
	Default string
	Secret  bool
	// Check validates a non-empty value; nil accepts any.
	Check func(string) error
	Doc   string
}

// settings is every key Lore reads, in the order docs/configuration.md
// lists them.
var settings = []setting{
	{Name: "LORE_DATABASE_URL", Default: "sqlite:lore.db", Doc: "The database: `sqlite:PATH` (embedded) or `postgres://...` (PostgreSQL with pgvector). `--db` overrides it."},
	{Name: "LORE_PG_INDEX_BUILD_MEMORY_MB", Default: "1024", Check: positiveInt, Doc: "PostgreSQL: most maintenance_work_mem, in MB, a vector index build asks for (it asks for what the graph needs, about 1.5 KB a chunk)."},
	{Name: "LORE_PG_HNSW_M", Default: "12", Check: between(2, 100), Doc: "PostgreSQL: neighbours per element of the HNSW graph; applies at the next index build."},
	{Name: "LORE_PG_HNSW_EF_CONSTRUCTION", Default: "64", Check: between(4, 1000), Doc: "PostgreSQL: candidate list of each HNSW insertion; applies at the next index build."},
	{Name: "LORE_PG_HNSW_PARTITIONS", Default: "2", Check: between(1, 8), Doc: "PostgreSQL: how many HNSW graphs the vectors are split among, searched at once; applies at the next index build."},
	{Name: "LORE_PG_HNSW_EF_SEARCH", Default: "600", Check: between(1, 1000), Doc: "PostgreSQL: hnsw.ef_search, the candidate list of a vector search (recall against latency)."},
	{Name: "LORE_LISTEN", Default: "127.0.0.1:8080", Check: listenAddress, Doc: "Address of `lore serve`'s HTTP endpoints. `--listen` overrides it."},
	{Name: "LORE_LOG_FORMAT", Default: "auto", Check: oneOf("auto", "text", "json"), Doc: "Log format: `json` for production, `text` for people; `auto` is text on a terminal and JSON otherwise."},
	{Name: "LORE_LOG_LEVEL", Default: "info", Check: oneOf("debug", "info", "warn", "error"), Doc: "Lowest level logged by `lore serve` (other commands log warnings and errors only)."},
	{Name: "LORE_OPENAI_BASE_URL", Doc: "Base URL of an OpenAI-compatible API (OpenAI, Azure OpenAI, Ollama, vLLM). Unset: OpenAI's once a chat or embedding model is set; with no model, nothing is called."},
	{Name: "LORE_OPENAI_API_KEY", Secret: true, Doc: "API key for LORE_OPENAI_BASE_URL."},
	{Name: "LORE_OPENAI_AZURE", Default: "false", Check: boolean, Doc: "The endpoint is Azure OpenAI (deployments named by the model settings)."},
	{Name: "LORE_OPENAI_API_VERSION", Doc: "Azure OpenAI API version."},
	{Name: "LORE_CHAT_MODEL", Doc: "Chat model for written answers."},
	{Name: "LORE_EMBEDDING_MODEL", Doc: "Embedding model; changing it calls for `lore reindex`."},
	{Name: "LORE_EMBEDDING_DIMENSIONS", Check: positiveInt, Doc: "Dimension of the embedding model's vectors."},
	{Name: "LORE_ANSWER_TIMEOUT", Default: "20s", Check: duration, Doc: "Longest wait for the model before the extractive answer is given."},
	{Name: "LORE_CONTEXT_TOKENS", Default: "3000", Check: atLeast(500), Doc: "Token budget of the passages given to the model."},
	{Name: "LORE_SYNONYMS_FILE", Check: synonymFile, Doc: "Synonym file (Solr format, one rule a line: `GP, doctor` or `vacation => annual leave`) widening questions with the knowledge base's own words; read at start. See docs/retrieval.md."},
	{Name: "LORE_SLACK_MODE", Default: "socket", Check: oneOf("socket", "http"), Doc: "Slack connection: Socket Mode (no public URL) or HTTP (Events API on `lore serve`)."},
	{Name: "LORE_SLACK_APP_TOKEN", Secret: true, Doc: "Slack app-level token (`xapp-...`), for Socket Mode."},
	{Name: "LORE_SLACK_BOT_TOKEN", Secret: true, Doc: "Slack bot token (`xoxb-...`). Setting it enables the Slack adapter."},
	{Name: "LORE_SLACK_SIGNING_SECRET", Secret: true, Doc: "Slack signing secret, for HTTP mode."},
	{Name: "LORE_SLACK_CHANNELS", Check: slackChannels, Doc: "Channel allow-list and per-channel settings: ID[:mentioned|all[:COLLECTION+COLLECTION]],... (docs/slack.md)."},
	{Name: "LORE_SLACK_API_URL", Doc: "Slack Web API base URL, for GovSlack (https://slack-gov.com/api/) or a proxy; default Slack's."},
	{Name: "LORE_SLACK_MAX_CONCURRENT", Default: "4", Check: positiveInt, Doc: "Slack Web API calls in flight per replica; 429s pause them all until Retry-After."},
	{Name: "LORE_DISCORD_TOKEN", Secret: true, Doc: "Discord bot token. Setting it enables the Discord adapter."},
	{Name: "LORE_DISCORD_APP_ID", Doc: "Discord application id."},
	{Name: "LORE_DISCORD_PUBLIC_KEY", Doc: "Discord application public key (hex), for the HTTP interactions endpoint."},
	{Name: "LORE_DISCORD_GUILD_ID", Doc: "Register commands in this guild only (development); unset registers them globally."},
	{Name: "LORE_DISCORD_SHARD_ID", Default: "0", Check: nonNegativeInt, Doc: "This process's shard."},
	{Name: "LORE_DISCORD_SHARD_COUNT", Default: "1", Check: positiveInt, Doc: "Number of shards."},
	{Name: "LORE_DISCORD_SETTINGS", Check: discordSettings, Doc: "Per-guild and per-channel settings as JSON: allow-lists, answering every message, collections (docs/discord.md)."},
	{Name: "LORE_DISCORD_GROUP_CHANNEL_ID", Doc: "Channel in which Lore opens private threads to introduce several people at once (bots cannot open group DMs)."},
	{Name: "LORE_DISCORD_MESSAGE_CONTENT", Default: "false", Check: boolean, Doc: "Ask for the privileged Message Content intent (answers to plain channel messages without a mention)."},
	{Name: "LORE_DISCORD_GUILD_MEMBERS", Default: "false", Check: boolean, Doc: "Ask for the privileged Server Members intent: new members of a server are enrolled in onboarding tracks."},
	{Name: "LORE_ADMINS", Check: checkAdmins, Doc: "Admins, the same as role admin in LORE_ROLES (kept for older configurations): PLATFORM/[WORKSPACE/]USER, comma-separated (slack/U012AB3CD,discord/80351110224678912)."},
	{Name: "LORE_ONBOARDING", Check: checkOnboarding, Doc: "Onboarding tracks new members join: PLACE=TRACK[+TRACK],... with PLACE * (the workspace or server) or a channel id."},
	{Name: "LORE_ROLES", Check: rolesSetting, Doc: "People's roles: PERSON=ROLE|ROLE,... with PERSON as PLATFORM/[WORKSPACE/]USER (e.g. slack/T024BE7LD/U012AB3CD=curator|admin) and ROLE one of admin, curator, leader, learner; everyone is a learner (docs/governance.md)."},
	{Name: "LORE_ROLE_MAP", Check: roleMapSetting, Doc: "Roles of the members of Slack user groups and Discord roles: ROLE=GROUP|GROUP,... with GROUP as slack/TEAM/USERGROUP_ID or discord/GUILD_ID/ROLE_ID (e.g. curator=slack/T024BE7LD/S0123ABCD|discord/81384788765712384/4242); Slack needs the usergroups:read scope (docs/governance.md)."},
	{Name: "LORE_GROUPS", Check: groupsSetting, Doc: "Groups for collection audiences: GROUP=PERSON|PERSON,... (e.g. hr=slack/U012AB3CD|discord/81384788765712384) (docs/governance.md)."},
	{Name: "LORE_SUGGESTIONS_COLLECTION", Default: "suggestions", Check: collectionSetting, Doc: "Collection that `suggest` and Save to knowledge put drafts in (docs/governance.md)."},
	{Name: "LORE_SUGGESTIONS_PER_DAY", Default: "20", Check: atLeast(1), Doc: "Suggestions and saves one person may make in 24 hours."},
	{Name: "LORE_FETCH_ALLOW", Check: fetchAllow, Doc: "Internal hosts, addresses or prefixes (comma-separated) that source syncs may fetch from (never `suggest`, which anyone may use); all others that are private, loopback or link-local are refused."},
	{Name: "LORE_REVIEWERS", Check: checkReviewers, Doc: "Who gets the review reminders of documents whose owner is no chat person or group: PERSON,... as PLATFORM/[WORKSPACE/]USER (docs/governance.md#freshness); unset, those documents are only listed by `lore review` and logged."},
	{Name: "LORE_REVIEW_DOWNVOTES", Default: "3", Check: atLeast(1), Doc: "👎 in 7 days on answers citing a document that remind its owner of it, with the questions that went badly."},
	{Name: "LORE_PSEUDONYM_KEY", Secret: true, Check: atLeastBytes(16), Doc: "Key of the HMAC that turns people's ids into the pseudonyms of xAPI statements; setting it turns statements on (docs/engagement.md)."},
	{Name: "LORE_XAPI_IRI_BASE", Check: httpURL, Doc: "IRI under which xAPI activity ids are minted, e.g. https://lore.example.com/xapi/."},
	{Name: "LORE_PRIVACY_K", Default: "5", Check: atLeast(3), Doc: "Smallest group any figure may describe (never below 3)."},
	{Name: "LORE_LRS_ENDPOINT", Check: lrsEndpoint, Doc: "xAPI base URL of a Learning Record Store; lore serve forwards statements to it every minute when set."},
	{Name: "LORE_LRS_USERNAME", Doc: "Basic auth user for the LRS."},
	{Name: "LORE_LRS_PASSWORD", Secret: true, Doc: "Basic auth password for the LRS."},
	{Name: "LORE_LEADERS_FILE", Doc: "JSON or YAML file of the leaders who get the weekly digest in Slack or Discord from `lore serve` (docs/engagement.md); unset sends none."},
	{Name: "LORE_RETENTION", Check: atLeastADay, Doc: "Keep raw events this long (e.g. 365d, 52w or 8760h), then fold them into daily counts; unset keeps them."},
	{Name: "LORE_DASHBOARD_TOKEN", Secret: true, Check: atLeastBytes(16), Doc: "Shared admin token for the web dashboard."},
	{Name: "LORE_SESSION_KEY", Secret: true, Doc: "Key that signs dashboard session cookies; random per process when unset."},
	{Name: "LORE_OIDC_ISSUER", Doc: "OpenID Connect issuer for dashboard sign-in (https://slack.com for Sign in with Slack)."},
	{Name: "LORE_OIDC_CLIENT_ID", Doc: "OpenID Connect client id."},
	{Name: "LORE_OIDC_CLIENT_SECRET", Secret: true, Doc: "OpenID Connect client secret."},
	{Name: "LORE_OIDC_REDIRECT_URL", Doc: "OpenID Connect redirect URL, ending in /auth/callback."},
	{Name: "LORE_OIDC_ROLES", Doc: "Dashboard roles by email: email=leader|curator|admin, comma-separated."},
	{Name: "LORE_OIDC_DEFAULT_ROLE", Doc: "Role of a signed-in person not listed in LORE_OIDC_ROLES; unset refuses them."},
	{Name: "LORE_TRUSTED_PROXIES", Check: trustedProxies, Doc: "Reverse proxies in front of the dashboard, whose X-Forwarded-For names the client and whose X-Forwarded-Proto: https marks cookies Secure: IP addresses and CIDR prefixes, comma-separated; unset trusts none."},
}

func lookupSetting(name string) (setting, bool) {
	i := slices.IndexFunc(settings, func(s setting) bool { return s.Name == name })
	if i < 0 {
		return setting{}, false
	}
	return settings[i], true
}

func rolesSetting(v string) error {
	_, err := audience.NewStatic(v, "")
	return err
}

func roleMapSetting(v string) error {
	_, err := audience.ParseRoleMap(v)
	return err
}

func groupsSetting(v string) error {
	_, err := audience.NewStatic("", v)
	return err
}

func oneOf(values ...string) func(string) error {
	return func(v string) error {
		if slices.Contains(values, v) {
			return nil
		}
		return fmt.Errorf("want one of %s", strings.Join(values, ", "))
	}
}

func positiveInt(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n <= 0 {
		return errors.New("want a positive whole number")
	}
	return nil
}

func nonNegativeInt(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 0 {
		return errors.New("want a whole number, 0 or more")
	}
	return nil
}

func atLeast(min int) func(string) error {
	return func(v string) error {
		if n, err := strconv.Atoi(v); err != nil || n < min {
			return fmt.Errorf("want a whole number of at least %d", min)
		}
		return nil
	}
}

// between checks a whole number in [lo, hi].
func between(lo, hi int) func(string) error {
	return func(v string) error {
		if n, err := strconv.Atoi(v); err != nil || n < lo || n > hi {
			return fmt.Errorf("want a whole number from %d to %d", lo, hi)
		}
		return nil
	}
}

// atLeastBytes checks a secret's length without showing it.
func atLeastBytes(n int) func(string) error {
	return func(v string) error {
		if len(v) < n {
			return fmt.Errorf("want at least %d bytes", n)
		}
		return nil
	}
}

func slackChannels(v string) error {
	_, err := slack.ParseChannels(v)
	return err
}

func discordSettings(v string) error {
	_, err := discord.ParseSettings(v)
	return err
}

// collectionSetting checks a collection name given in the configuration.
func trustedProxies(v string) error {
	_, err := web.ParseTrustedProxies(v)
	return err
}

func collectionSetting(v string) error {
	if store.CheckCollectionName(v) != nil {
		return fmt.Errorf("want 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", store.MaxCollectionName)
	}
	return nil
}

// listenAddress checks an address to listen on, as net.Listen takes it.
func listenAddress(v string) error {
	_, port, err := net.SplitHostPort(v)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return errors.New("want HOST:PORT, such as 127.0.0.1:8080 (or :8080 for every interface)")
	}
	return nil
}

// checkListenFlag refuses a --listen that is not HOST:PORT; an empty one
// would have net.Listen take a random port on every interface.
func checkListenFlag(v string) error {
	if err := listenAddress(v); err != nil {
		return usageErrorf("--listen %q: %v", v, err)
	}
	return nil
}

// httpURL checks an absolute http(s) URL, as the xAPI IRI base and the
// LRS endpoint must be.
func httpURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an absolute http(s) URL")
	}
	return nil
}

func lrsEndpoint(v string) error {
	if err := httpURL(v); err != nil {
		return err
	}
	if u, _ := url.Parse(v); u.User != nil {
		return errors.New("put the credentials in LORE_LRS_USERNAME and LORE_LRS_PASSWORD, not in the URL")
	}
	return nil
}

func fetchAllow(v string) error {
	_, err := fetch.New(fetch.Options{Allow: fetchAllowList(v)})
	return err
}

// fetchAllowList splits LORE_FETCH_ALLOW into its entries.
func fetchAllowList(v string) []string {
	var allow []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			allow = append(allow, e)
		}
	}
	return allow
}

func synonymFile(path string) error {
	_, err := readSynonyms(path)
	return fileReason(err) // the setting's message names the file
}

// readSynonyms reads and parses a synonym file.
func readSynonyms(path string) (*knowledge.Synonyms, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return knowledge.ParseSynonyms(f)
}

func atLeastADay(v string) error {
	_, err := retentionPeriod(v)
	return err
}

// retentionPeriod reads LORE_RETENTION in the forms lore retention --keep
// takes (365d, 52w, 8760h), at least a day.
func retentionPeriod(v string) (time.Duration, error) {
	if d, err := parsePeriod(strings.TrimSpace(v)); err == nil && d >= 24*time.Hour {
		return d, nil
	}
	return 0, errors.New("want a period of at least a day, such as 365d, 52w or 8760h")
}

func duration(v string) error {
	if d, err := time.ParseDuration(v); err != nil || d <= 0 {
		return errors.New("want a duration such as 20s or 5m")
	}
	return nil
}

func boolean(v string) error {
	if _, err := strconv.ParseBool(v); err != nil {
		return errors.New("want true or false")
	}
	return nil
}

// source says where a value came from, for lore config show.
type source string

const (
	fromEnv     source = "environment"
	fromFile    source = "secret file"
	fromConfig  source = "config file"
	fromDefault source = "default"
)

// config is the configuration file and the environment, merged: the
// environment wins.
type config struct {
	path   string            // the YAML file read, if any
	file   map[string]string // LORE_... → value from the file
	getenv func(string) string
}

// loadConfig reads the YAML file at path (none when empty) and checks it
// and the environment, returning every problem at once.
func loadConfig(path string, getenv func(string) string) (*config, error) {
	c := &config{path: path, file: map[string]string{}, getenv: getenv}
	var errs []error
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config file %w", fileError(err))
		}
		var tree map[string]any
		if err := yaml.Unmarshal(data, &tree); err != nil {
			return nil, fmt.Errorf("config file %s: not valid YAML: %w", path, err)
		}
		written := map[string][]string{}
		flatten("LORE", "", tree, c.file, written)
		for _, name := range slices.Sorted(maps.Keys(c.file)) {
			if keys := written[name]; len(keys) > 1 {
				// Which one would win depends on map order: refuse both.
				slices.Sort(keys)
				errs = append(errs, fmt.Errorf("%s: %s are the same setting (%s): keep one", path, strings.Join(keys, " and "), name))
			}
			s, ok := lookupSetting(name)
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s: unknown key %s%s", path, yamlKey(name), suggestKey(name)))
			case s.Secret:
				errs = append(errs, fmt.Errorf("%s: %s is a secret: set %s (or %s_FILE) in the environment instead of writing it in the file", path, yamlKey(name), name, name))
				delete(c.file, name)
			}
		}
	}
	for _, s := range settings {
		v, _ := c.lookup(s.Name)
		if v == "" || s.Check == nil {
			continue
		}
		if err := s.Check(v); err != nil {
			// A secret's value is never echoed; others help the reader.
			shown := fmt.Sprintf(" %q", maskURLPassword(v))
			if s.Secret {
				shown = ""
			}
			errs = append(errs, fmt.Errorf("%s%s: %w", s.Name, shown, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// flatten turns nested YAML maps into LORE_A_B keys, recording in
// written the keys as the file spells them (database.url, database_url).
// A list of values is the comma-separated list the settings take, so that
// `admins: [slack/U1, discord/2]` means LORE_ADMINS=slack/U1,discord/2.
func flatten(prefix, path string, tree map[string]any, out map[string]string, written map[string][]string) {
	for k, v := range tree {
		name := prefix + "_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
		key := k
		if path != "" {
			key = path + "." + k
		}
		switch v := v.(type) {
		case map[string]any:
			flatten(name, key, v, out, written)
			continue
		case nil:
			out[name] = ""
		case []any:
			items := make([]string, len(v))
			for i, item := range v {
				items[i] = fmt.Sprint(item)
			}
			out[name] = strings.Join(items, ",")
		default:
			out[name] = fmt.Sprint(v)
		}
		written[name] = append(written[name], key)
	}
}

// suggestKey names the known key closest to an unknown one (" (did you
// mean chat_model?)"), or is "" when none is close.
func suggestKey(name string) string {
	best, bestDist := "", 3
	for _, s := range settings {
		if d := analyze.EditDistance(name, s.Name); d < bestDist {
			best, bestDist = s.Name, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + yamlKey(best) + "?)"
}

// yamlKey names a setting as the YAML file spells it, for messages.
func yamlKey(name string) string {
	return strings.ToLower(strings.TrimPrefix(name, "LORE_"))
}

// lookup returns a setting's value and where it came from.
func (c *config) lookup(name string) (string, source) {
	if v := c.getenv(name); v != "" {
		return v, fromEnv
	}
	if s, ok := lookupSetting(name); ok && s.Secret {
		if p := c.getenv(name + "_FILE"); p != "" {
			if b, err := os.ReadFile(p); err == nil {
				return strings.TrimRight(string(b), "\r\n"), fromFile
			}
		}
	}
	if v, ok := c.file[name]; ok && v != "" {
		return v, fromConfig
	}
	if s, ok := lookupSetting(name); ok {
		return s.Default, fromDefault
	}
	return "", fromDefault
}

// Getenv is lookup without the source: what the rest of the command tree
// reads configuration through.
func (c *config) Getenv(name string) string {
	v, _ := c.lookup(name)
	return v
}

// secretFileErrors reports NAME_FILE variables that cannot be read. They
// are checked when a command starts, so a mis-mounted secret is named
// rather than silently missing.
func (c *config) secretFileErrors() error {
	var errs []error
	for _, s := range settings {
		if !s.Secret {
			continue
		}
		p := c.getenv(s.Name + "_FILE")
		if p == "" || c.getenv(s.Name) != "" {
			continue
		}
		if _, err := os.ReadFile(p); err != nil {
			errs = append(errs, fmt.Errorf("%s_FILE: cannot read the secret: %w", s.Name, fileError(err)))
		}
	}
	return errors.Join(errs...)
}
