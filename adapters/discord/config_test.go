package discord

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	cfg, err := ConfigFromEnv(env(map[string]string{
		EnvToken: "Bot " + testToken, EnvAppID: "1111", EnvGuildID: "2222",
		EnvPublicKey: strings.Repeat("ab", 32), EnvShardID: "1", EnvShardCount: "4", EnvMessageContent: "true",
		EnvSettings: `{"allow_guilds":["2222"],"channels":{"4444":{"answer_all":true,"collections":["it"]}}}`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token.reveal() != testToken || cfg.AppID != "1111" || cfg.GuildID != "2222" || cfg.ShardID != 1 || cfg.ShardCount != 4 || !cfg.MessageContent {
		t.Errorf("cfg = %+v", cfg)
	}
	p := cfg.Settings.resolve("2222", "4444")
	if !p.allowed || !p.answerAll || len(p.collections) != 1 || p.collections[0] != "it" {
		t.Errorf("policy = %+v", p)
	}
	if p := cfg.Settings.resolve("9999", "4444"); p.allowed {
		t.Error("a guild outside the allow-list is allowed")
	}
	if p := cfg.Settings.resolve("", "dm"); !p.allowed {
		t.Error("direct messages are blocked by the guild allow-list")
	}
}

func TestConfigFromEnvListsEveryProblem(t *testing.T) {
	_, err := ConfigFromEnv(env(map[string]string{
		EnvAppID: "my-app", EnvPublicKey: "nothex", EnvGuildID: "guild", EnvShardID: "x",
		EnvShardCount: "0", EnvMessageContent: "maybe", EnvSettings: `{"bogus":1}`,
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{EnvToken, EnvAppID, EnvPublicKey, EnvGuildID, EnvShardID, EnvShardCount, EnvMessageContent, EnvSettings} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %s:\n%v", want, err)
		}
	}
	_, err = ConfigFromEnv(env(map[string]string{EnvToken: testToken, EnvAppID: "1", EnvShardID: "3", EnvShardCount: "2"}))
	if err == nil || !strings.Contains(err.Error(), "outside 0..1") {
		t.Errorf("shard id beyond the count: %v", err)
	}
	_, err = ConfigFromEnv(env(map[string]string{EnvToken: "abc def", EnvAppID: "1"}))
	if err == nil || strings.Contains(err.Error(), "abc def") {
		t.Errorf("a bad token is reported without echoing it: %v", err)
	}
}

func TestSettingsPrecedence(t *testing.T) {
	yes, no := true, false
	s := Settings{
		Default:  Place{AnswerAll: &no, Collections: []string{"handbook"}},
		Guilds:   map[string]Place{"g": {AnswerAll: &yes}},
		Channels: map[string]Place{"c": {AnswerAll: &no, Collections: []string{"it"}}},
	}
	if p := s.resolve("g", "other"); !p.answerAll || p.collections[0] != "handbook" {
		t.Errorf("guild: %+v", p)
	}
	if p := s.resolve("g", "c"); p.answerAll || p.collections[0] != "it" {
		t.Errorf("channel: %+v", p)
	}
	s.AllowChannels = []string{"c"}
	if s.resolve("g", "other").allowed || !s.resolve("g", "c").allowed {
		t.Error("channel allow-list not applied")
	}
}

func TestSecretNeverPrints(t *testing.T) {
	cfg := Config{Token: testToken, AppID: "1"}
	var log testLog
	log.logger().Info("config", "token", cfg.Token, "cfg", cfg)
	b, err := json.Marshal(struct{ Token Secret }{cfg.Token})
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
		"%s": fmt.Sprintf("%s", cfg.Token), "%q": fmt.Sprintf("%q", cfg.Token), "%x": fmt.Sprintf("%x", cfg.Token),
		"json": string(b), "slog": log.String(), "slog text": slogText(cfg),
	} {
		checkNoToken(t, what, s)
		if !strings.Contains(s, redacted) {
			t.Errorf("%s does not show %s: %s", what, redacted, s)
		}
	}
}

func slogText(v any) string {
	var log testLog
	slog.New(slog.NewTextHandler(&log, nil)).Info("x", "v", v)
	return log.String()
}
