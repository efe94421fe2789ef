package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

// runEnv runs lore with a chosen environment instead of the process's.
func runEnv(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.RunWithEnv(t.Context(), args, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut},
		func(k string) string { return env[k] })
	return result{code: code, out: out.String(), err: errOut.String()}
}

func TestConfigFileAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lore.yaml")
	writeFile(t, cfg, []byte("database:\n  url: sqlite:"+filepath.Join(dir, "from-file.db")+"\nslack:\n  mode: http\nlog:\n  format: json\n"))

	r := runEnv(t, map[string]string{"LORE_CONFIG": cfg, "LORE_SLACK_MODE": "socket"}, "config", "show")
	r.wantCode(t, cli.ExitOK)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`LORE_DATABASE_URL\s+sqlite:\S+from-file.db\s+config file`),
		regexp.MustCompile(`LORE_SLACK_MODE\s+socket\s+environment`), // the environment wins
		regexp.MustCompile(`LORE_LOG_FORMAT\s+json\s+config file`),
		regexp.MustCompile(`LORE_LISTEN\s+127.0.0.1:8080\s+default`),
	} {
		if !want.MatchString(r.out) {
			t.Errorf("config show lacks %s:\n%s", want, r.out)
		}
	}

	// The database named in the file is the one commands use.
	corpus := copyCorpus(t)
	runEnv(t, map[string]string{"LORE_CONFIG": cfg}, "ingest", corpus).wantCode(t, cli.ExitOK)
	if _, err := os.Stat(filepath.Join(dir, "from-file.db")); err != nil {
		t.Fatalf("ingest did not use the database from the config file: %v", err)
	}
}

func TestConfigErrorsAreListedAtOnce(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "lore.yaml")
	writeFile(t, cfg, []byte("slack:\n  mode: carrier-pigeon\n  bot_token: xoxb-written-in-the-file\ncolour: blue\n"))
	r := runEnv(t, map[string]string{"LORE_DISCORD_SHARD_COUNT": "zero"}, "--config", cfg, "config", "check")
	r.wantCode(t, cli.ExitUsage)
	for _, want := range []string{"unknown key colour", "slack_bot_token is a secret", "LORE_SLACK_BOT_TOKEN_FILE", `LORE_SLACK_MODE "carrier-pigeon": want one of socket, http`, `LORE_DISCORD_SHARD_COUNT "zero"`} {
		if !strings.Contains(r.err, want) {
			t.Errorf("config check output lacks %q:\n%s", want, r.err)
		}
	}
	if strings.Contains(r.err+r.out, "xoxb-written-in-the-file") {
		t.Fatalf("a secret written in the config file was echoed:\n%s", r.err)
	}

	writeFile(t, cfg, []byte("database: [unclosed\n"))
	r = runEnv(t, nil, "--config", cfg, "config", "check")
	if r.code != cli.ExitUsage || !strings.Contains(r.err, "not valid YAML") {
		t.Fatalf("broken YAML: exit %d, %q", r.code, r.err)
	}
	runEnv(t, nil, "--config", filepath.Join(t.TempDir(), "missing.yaml"), "config", "check").wantCode(t, cli.ExitUsage)
}

// A YAML list is the comma-separated list a setting takes, rather than
// Go's rendering of it ("[a b]"), which an allow-list would silently
// misread.
func TestConfigFileListsAreCommaSeparated(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "lore.yaml")
	writeFile(t, cfg, []byte("fetch:\n  allow: [wiki.corp.example, 10.20.0.0/16]\nadmins:\n  - slack/U012AB3CD\n  - discord/80351110224678912\n"))
	r := runEnv(t, nil, "--config", cfg, "config", "show")
	r.wantCode(t, cli.ExitOK)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`LORE_FETCH_ALLOW\s+wiki\.corp\.example,10\.20\.0\.0/16\s+config file`),
		regexp.MustCompile(`LORE_ADMINS\s+slack/U012AB3CD,discord/80351110224678912\s+config file`),
	} {
		if !want.MatchString(r.out) {
			t.Errorf("config show lacks %s:\n%s", want, r.out)
		}
	}
	runEnv(t, nil, "--config", cfg, "config", "check").wantCode(t, cli.ExitOK)
}

// One setting written twice in the file (database_url and database.url)
// is refused: which value won depended on map order. An unknown key names
// the known one it is closest to.
func TestConfigFileKeyWrittenTwiceOrMisspelt(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lore.yaml")
	writeFile(t, cfg, []byte("database_url: sqlite:"+filepath.Join(dir, "one.db")+"\ndatabase:\n  url: sqlite:"+filepath.Join(dir, "two.db")+"\nchat_modle: gpt-4o-mini\n"))
	r := runEnv(t, nil, "--config", cfg, "config", "check")
	r.wantCode(t, cli.ExitUsage)
	for _, want := range []string{"database.url and database_url are the same setting (LORE_DATABASE_URL)", "unknown key chat_modle (did you mean chat_model?)"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("config check output lacks %q:\n%s", want, r.err)
		}
	}
}

// config check finds what a command would refuse later: short secrets,
// index settings outside pgvector's limits, malformed channel settings.
func TestConfigCheckValidatesEverySetting(t *testing.T) {
	r := runEnv(t, map[string]string{
		"LORE_PSEUDONYM_KEY":      "short-key",
		"LORE_DASHBOARD_TOKEN":    "short-token",
		"LORE_PG_HNSW_M":          "200",
		"LORE_PG_HNSW_EF_SEARCH":  "5000",
		"LORE_PG_HNSW_PARTITIONS": "9",
		"LORE_DISCORD_SETTINGS":   "{not json",
		"LORE_SLACK_CHANNELS":     "garbage:::",
		"LORE_TRUSTED_PROXIES":    "10.0.0.0/8, proxy.internal",
	}, "config", "check")
	r.wantCode(t, cli.ExitUsage)
	for _, want := range []string{"LORE_PSEUDONYM_KEY: want at least 16 bytes", "LORE_DASHBOARD_TOKEN: want at least 16 bytes",
		`LORE_PG_HNSW_M "200": want a whole number from 2 to 100`, `LORE_PG_HNSW_EF_SEARCH "5000"`,
		`LORE_PG_HNSW_PARTITIONS "9": want a whole number from 1 to 8`,
		"LORE_DISCORD_SETTINGS", "not valid settings JSON", `"garbage" is not a Slack channel id`,
		`LORE_TRUSTED_PROXIES "10.0.0.0/8, proxy.internal": "proxy.internal" is not an IP address or CIDR prefix`} {
		if !strings.Contains(r.err, want) {
			t.Errorf("config check output lacks %q:\n%s", want, r.err)
		}
	}
	if strings.Contains(r.err+r.out, "short-key") || strings.Contains(r.err+r.out, "short-token") {
		t.Errorf("config check echoed a secret:\n%s", r.err)
	}
}

// The settings that lore serve, lore sources sync and every command that
// records engagement refuse are refused by config check too, which
// otherwise called them valid; a password in a URL is not echoed.
func TestConfigCheckValidatesWhatCommandsRefuse(t *testing.T) {
	r := runEnv(t, map[string]string{
		"LORE_XAPI_IRI_BASE": "lore.example.com/xapi",
		"LORE_LRS_ENDPOINT":  "https://lore:hunter2-secret@lrs.example.com/xapi",
		"LORE_FETCH_ALLOW":   "wiki.internal, not a host",
		"LORE_LISTEN":        "8080",
	}, "config", "check")
	r.wantCode(t, cli.ExitUsage)
	for _, want := range []string{
		`LORE_XAPI_IRI_BASE "lore.example.com/xapi": want an absolute http(s) URL`,
		`LORE_LRS_ENDPOINT "https://lore:********@lrs.example.com/xapi": put the credentials in LORE_LRS_USERNAME and LORE_LRS_PASSWORD`,
		`LORE_FETCH_ALLOW "wiki.internal, not a host": fetch allow-list: "not a host" is not`,
		`LORE_LISTEN "8080": want HOST:PORT`,
	} {
		if !strings.Contains(r.err, want) {
			t.Errorf("config check output lacks %q:\n%s", want, r.err)
		}
	}
	if strings.Contains(r.err+r.out, "hunter2-secret") {
		t.Errorf("config check echoed the LRS password:\n%s", r.err)
	}
	runEnv(t, map[string]string{
		"LORE_XAPI_IRI_BASE": "https://lore.example.com/xapi",
		"LORE_LRS_ENDPOINT":  "https://lrs.example.com/xapi",
		"LORE_FETCH_ALLOW":   "wiki.internal, 10.0.0.0/8",
		"LORE_LISTEN":        ":8080",
	}, "config", "check").wantCode(t, cli.ExitOK)
}

func TestSecretsAreMaskedAndReadFromFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "bot-token")
	writeFile(t, secret, []byte("xoxb-from-a-mounted-file\n"))
	r := runEnv(t, map[string]string{
		"LORE_SLACK_BOT_TOKEN_FILE": secret,
		"LORE_OPENAI_API_KEY":       "sk-from-the-environment",
	}, "config", "show")
	r.wantCode(t, cli.ExitOK)
	if strings.Contains(r.out, "xoxb-from-a-mounted-file") || strings.Contains(r.out, "sk-from-the-environment") {
		t.Fatalf("config show printed a secret:\n%s", r.out)
	}
	if !regexp.MustCompile(`LORE_SLACK_BOT_TOKEN\s+\*+ \(set\)\s+secret file`).MatchString(r.out) ||
		!regexp.MustCompile(`LORE_OPENAI_API_KEY\s+\*+ \(set\)\s+environment`).MatchString(r.out) {
		t.Fatalf("config show does not report the secrets as set:\n%s", r.out)
	}
	r = runEnv(t, map[string]string{"LORE_SLACK_BOT_TOKEN_FILE": filepath.Join(dir, "nope")}, "config", "check")
	if r.code != cli.ExitUsage || !strings.Contains(r.err, "LORE_SLACK_BOT_TOKEN_FILE: cannot read the secret") {
		t.Fatalf("unreadable secret file: exit %d, %q", r.code, r.err)
	}
}

// docs/configuration.md lists every setting Lore reads.
func TestConfigurationDocListsEverySetting(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	r := runEnv(t, nil, "config", "show")
	names := regexp.MustCompile(`(?m)^(LORE_[A-Z0-9_]+)\s`).FindAllStringSubmatch(r.out, -1)
	if len(names) < 10 {
		t.Fatalf("config show lists %d settings:\n%s", len(names), r.out)
	}
	for _, m := range names {
		if !strings.Contains(string(doc), "`"+m[1]+"`") {
			t.Errorf("docs/configuration.md does not document %s", m[1])
		}
	}
}

// lore serve logs JSON at the configured level when its output is not a
// terminal.
func TestServeLogsJSON(t *testing.T) {
	db := newDB(t)
	srv := startServe(t, db.flag())
	srv.stop()
	lines := strings.Split(strings.TrimSpace(srv.stderr.String()), "\n")
	sawJSON := false
	for _, l := range lines {
		if strings.HasPrefix(l, "{") {
			sawJSON = true
			if !strings.Contains(l, `"level":`) || !strings.Contains(l, `"msg":`) {
				t.Errorf("log line without level or msg: %s", l)
			}
		}
	}
	if !sawJSON {
		t.Fatalf("lore serve wrote no JSON log line at level info:\n%s", srv.stderr)
	}
}

// config check refuses model settings that every command would refuse or
// that could never answer: an embedding model without its dimension,
// OpenAI's endpoint or Azure without a key, Azure without its resource
// endpoint. A local server needs no key.
func TestConfigCheckModelEndpoints(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LORE_CHAT_MODEL": "gpt-4o-mini"}, "OpenAI's endpoint needs LORE_OPENAI_API_KEY"},
		{map[string]string{"LORE_EMBEDDING_MODEL": "nomic-embed-text", "LORE_OPENAI_BASE_URL": "http://localhost:11434/v1"}, "needs its dimension (LORE_EMBEDDING_DIMENSIONS)"},
		{map[string]string{"LORE_EMBEDDING_MODEL": "text-embedding-3-small", "LORE_EMBEDDING_DIMENSIONS": "1536", "LORE_OPENAI_BASE_URL": "https://api.openai.com/v1/"}, "OpenAI's endpoint needs LORE_OPENAI_API_KEY"},
		{map[string]string{"LORE_CHAT_MODEL": "gpt-4o", "LORE_OPENAI_AZURE": "true", "LORE_OPENAI_API_KEY": "azure-key-0123456789"}, "LORE_OPENAI_AZURE needs LORE_OPENAI_BASE_URL"},
		{map[string]string{"LORE_CHAT_MODEL": "gpt-4o", "LORE_OPENAI_AZURE": "true", "LORE_OPENAI_BASE_URL": "https://res.openai.azure.com"}, "Azure OpenAI needs LORE_OPENAI_API_KEY"},
	} {
		r := runEnv(t, tc.env, "config", "check")
		if r.code != cli.ExitUsage || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.env, r.code, r.err, tc.want)
		}
		if strings.Contains(r.err+r.out, "azure-key-0123456789") {
			t.Errorf("the key was echoed:\n%s", r.err)
		}
	}
	r := runEnv(t, map[string]string{"LORE_CHAT_MODEL": "llama3.1", "LORE_OPENAI_BASE_URL": "http://localhost:11434"}, "config", "check")
	r.wantCode(t, cli.ExitOK)
}

// A chat token without the settings its mode needs is what lore serve
// refuses: config check names it, and lore serve refuses it before it opens
// the database, without echoing a token.
func TestConfigCheckNamesChatSettingsServeNeeds(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LORE_SLACK_BOT_TOKEN": "xoxb-secret-bot-token"}, "LORE_SLACK_APP_TOKEN is required in socket mode"},
		{map[string]string{"LORE_SLACK_BOT_TOKEN": "xoxb-secret-bot-token", "LORE_SLACK_MODE": "http"}, "LORE_SLACK_SIGNING_SECRET is required in http mode"},
		{map[string]string{"LORE_DISCORD_TOKEN": "secret-discord-token"}, "LORE_DISCORD_APP_ID: the application id is required"},
	} {
		r := runEnv(t, c.env, "config", "check")
		if r.code != cli.ExitUsage || !strings.Contains(r.err, c.want) {
			t.Errorf("config check with %v: exit %d, want %d naming %q:\n%s%s", sortedKeys(c.env), r.code, cli.ExitUsage, c.want, r.out, r.err)
		}
		path := filepath.Join(t.TempDir(), "lore.db")
		s := runEnv(t, c.env, "serve", "--listen=127.0.0.1:0", "--db=sqlite:"+path)
		if s.code != cli.ExitUsage || !strings.Contains(s.err, c.want) {
			t.Errorf("serve with %v: exit %d, want %d naming %q:\n%s", sortedKeys(c.env), s.code, cli.ExitUsage, c.want, s.err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("serve with %v opened the database before refusing its settings", sortedKeys(c.env))
		}
		if out := r.out + r.err + s.out + s.err; strings.Contains(out, "secret-bot-token") || strings.Contains(out, "secret-discord-token") {
			t.Errorf("a token was echoed:\n%s", out)
		}
	}
	// Complete settings pass, and a workers-only replica, which connects
	// no chat adapter, is not refused for them.
	ok := map[string]string{"LORE_SLACK_BOT_TOKEN": "xoxb-secret-bot-token", "LORE_SLACK_APP_TOKEN": "xapp-secret-app-token",
		"LORE_DISCORD_TOKEN": "secret-discord-token", "LORE_DISCORD_APP_ID": "81384788765712384"}
	runEnv(t, ok, "config", "check").wantCode(t, cli.ExitOK)
	half := map[string]string{"LORE_SLACK_BOT_TOKEN": "xoxb-secret-bot-token"}
	srv := startServeEnv(t, func(k string) string { return half[k] }, "--workers-only", newDB(t).flag())
	if code := srv.stop(); code != cli.ExitOK {
		t.Fatalf("serve --workers-only exited %d:\n%s", code, srv.stderr)
	}
}

// The database URL carries its password, and an LRS endpoint may carry
// credentials: config show masks them as it masks secrets.
func TestConfigShowMasksPasswordsInURLs(t *testing.T) {
	r := runEnv(t, map[string]string{
		"LORE_DATABASE_URL": "postgres://lore:db-pass-word@db.internal:5432/lore?sslmode=require",
		"LORE_LRS_ENDPOINT": "https://lrs.example.com/xapi/?password=lrs-pass-word",
	}, "config", "show")
	r.wantCode(t, cli.ExitOK)
	if strings.Contains(r.out, "db-pass-word") || strings.Contains(r.out, "lrs-pass-word") {
		t.Fatalf("config show printed a password:\n%s", r.out)
	}
	if !regexp.MustCompile(`LORE_DATABASE_URL\s+postgres://lore:\*+@db.internal:5432/lore\?sslmode=require\s+environment`).MatchString(r.out) {
		t.Fatalf("config show does not show the database URL with its password masked:\n%s", r.out)
	}
}

// --db overrides the database of the environment and the file for one
// command, and config show says so: it shows the database that command
// line uses, masked, not the one --db overrides.
func TestConfigShowNamesTheDatabaseOfDB(t *testing.T) {
	r := runEnv(t, map[string]string{"LORE_DATABASE_URL": "sqlite:from-env.db"},
		"config", "show", "--db", "postgres://lore:s3cret@db.internal/lore")
	r.wantCode(t, cli.ExitOK)
	line := regexp.MustCompile(`(?m)^LORE_DATABASE_URL\s+(\S+)\s+(.+)$`).FindStringSubmatch(r.out)
	if line == nil || line[1] != "postgres://lore:********@db.internal/lore" || line[2] != "--db" {
		t.Errorf("config show --db shows the database as %q:\n%s", line, r.out)
	}
	if strings.Contains(r.out, "s3cret") {
		t.Errorf("config show printed the password:\n%s", r.out)
	}
}

// A URL that does not parse (a password with a bad escape, a space or a
// slash in it) still has its password masked, by config check, which
// quotes the value it refuses, and by config show.
func TestMalformedURLsKeepTheirPasswordsHidden(t *testing.T) {
	r := runEnv(t, map[string]string{"LORE_LRS_ENDPOINT": "https://lore:hunter2%zz@lrs.example.com/xapi"}, "config", "check")
	r.wantCode(t, cli.ExitUsage)
	if !strings.Contains(r.err, "LORE_LRS_ENDPOINT") {
		t.Errorf("config check does not name the setting:\n%s", r.err)
	}
	if strings.Contains(r.err+r.out, "hunter2") {
		t.Errorf("config check echoed the LRS password:\n%s", r.err)
	}
	for _, db := range []string{
		"postgres://lore:pass word-1@db.internal/lore",
		"postgres://lore:pass/word-1@db.internal/lore",
		"postgres://lore@db.internal/lore?sslmode=require&password=pass%zzword-1",
	} {
		r := runEnv(t, map[string]string{"LORE_DATABASE_URL": db}, "config", "show")
		r.wantCode(t, cli.ExitOK)
		if strings.Contains(r.out, "word-1") {
			t.Errorf("config show printed the password of %s:\n%s", db, r.out)
		}
		if !strings.Contains(r.out, "db.internal") {
			t.Errorf("config show hides where the database is:\n%s", r.out)
		}
	}
}

// A password that begins with "#" or "?", or with digits and then one of
// them, makes a URL that parses: url.Parse reads "lore:" or "lore:12" as
// the host and the rest as a fragment or a query. PostgreSQL (libpq, pgx)
// reads it as the password, up to the "@" before the path, and so does
// config show, which masks it.
func TestPasswordsReadAsAFragmentOrQueryStayHidden(t *testing.T) {
	for _, db := range []string{
		"postgres://lore:#word-1@db.internal/lore",
		"postgres://lore:?word-1@db.internal/lore",
		"postgres://lore:12#word-1@db.internal/lore",
		"postgres://lore:12?word-1@db.internal:5432/lore?sslmode=require",
	} {
		r := runEnv(t, map[string]string{"LORE_DATABASE_URL": db}, "config", "show")
		r.wantCode(t, cli.ExitOK)
		if strings.Contains(r.out, "word-1") {
			t.Errorf("config show printed the password of %s:\n%s", db, r.out)
		}
		if !strings.Contains(r.out, "@db.internal") {
			t.Errorf("config show hides where the database is:\n%s", r.out)
		}
	}
	// An "@" in the query of a URL without a path is no password's end
	// when no ":" comes before it.
	r := runEnv(t, map[string]string{"LORE_DATABASE_URL": "postgres://db.internal?application_name=lore@hr"}, "config", "show")
	if !strings.Contains(r.out, "postgres://db.internal?application_name=lore@hr ") {
		t.Errorf("config show changed a URL without a password:\n%s", r.out)
	}
}
