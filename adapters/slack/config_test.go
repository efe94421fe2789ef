package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	cfg, err := ConfigFromEnv(env(map[string]string{
		EnvAppToken: testAppToken, EnvBotToken: testBotToken, EnvChannels: "C0123ABC:all:handbook+policies, C0456DEF",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != ModeSocket || cfg.BotToken.Reveal() != testBotToken || cfg.AppToken.Reveal() != testAppToken {
		t.Errorf("config %+v", cfg)
	}
	if s := cfg.Channels["C0123ABC"]; s.Answer != AnswerAll || strings.Join(s.Collections, ",") != "handbook,policies" {
		t.Errorf("channel settings %+v", s)
	}
	if s := cfg.Channels["C0456DEF"]; s.Answer != AnswerMentioned || s.Collections != nil {
		t.Errorf("channel settings %+v", s)
	}

	cfg, err = ConfigFromEnv(env(map[string]string{EnvMode: "HTTP", EnvBotToken: testBotToken, EnvSigningSecret: testSecret}))
	if err != nil || cfg.Mode != ModeHTTP {
		t.Errorf("http mode: %+v, %v", cfg, err)
	}

	// Every problem at once, secrets never shown.
	_, err = ConfigFromEnv(env(map[string]string{
		EnvBotToken: "xoxp-user-token-secret", EnvAppToken: "not-an-app-token-secret", EnvChannels: "general:sometimes:bad name,C0123ABC,C0123ABC",
	}))
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{EnvBotToken + " must be a bot token", EnvAppToken + " must be an app-level token",
		`"general" is not a Slack channel id`, "listed twice"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error shows a token: %v", err)
	}
	_, err = ConfigFromEnv(env(map[string]string{EnvMode: "webhook"}))
	for _, want := range []string{EnvMode + ` is "webhook"`, EnvBotToken + " is required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	_, err = ConfigFromEnv(env(map[string]string{EnvMode: "http", EnvBotToken: testBotToken}))
	if err == nil || !strings.Contains(err.Error(), EnvSigningSecret+" is required") {
		t.Errorf("http mode without a signing secret: %v", err)
	}
	_, err = ConfigFromEnv(env(map[string]string{EnvBotToken: testBotToken, EnvChannels: "C0123ABC:all:a+b c"}))
	if err == nil || !strings.Contains(err.Error(), `"b c" is not a collection name`) {
		t.Errorf("bad collection: %v", err)
	}
}

// Secrets redact themselves however they are printed or logged.
func TestSecretsRedacted(t *testing.T) {
	cfg := Config{AppToken: testAppToken, BotToken: testBotToken, SigningSecret: testSecret}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg, "token", cfg.BotToken)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", cfg, "secret", cfg.SigningSecret)
	js, _ := json.Marshal(cfg)
	outputs := []string{
		fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s %q %x", cfg, cfg, cfg, cfg.BotToken, cfg.AppToken, cfg.SigningSecret),
		string(js), logged.String(), fmt.Errorf("wrapped: %v", cfg.BotToken).Error(),
	}
	for _, out := range outputs {
		for _, s := range []string{testAppToken, testBotToken, testSecret} {
			if strings.Contains(out, s) {
				t.Errorf("secret printed in %q", out)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(cfg.BotToken), "[redacted]") {
		t.Error("a secret does not say it is redacted")
	}
}

// The adapter's failures are logged without any secret: a refused token,
// a server error, a forged request. (The harness also checks its log at the
// end of every test.)
func TestSecretsNeverLogged(t *testing.T) {
	h := newHTTPHarness(t, &fakeCore{}, nil)
	h.fake.limit = func(method string) (bool, int) { return method == "chat.postMessage", 0 }
	h.a.cfg.WorkTimeout = 2e9
	h.deliver(t, readTestdata(t, "app_mention.json"))
	r := signed(t, "/slack/events", "application/json", readTestdata(t, "app_mention.json"), httpNow)
	r.Header.Set("X-Slack-Signature", Verifier{Secret: "wrong"}.Sign(r.Header.Get("X-Slack-Request-Timestamp"), nil))
	serve(h.a.Handler(), r)
	bad, err := New(Config{Mode: ModeSocket, AppToken: "xapp-" + testSecret, BotToken: "xoxb-" + testSecret, APIURL: "http://127.0.0.1:1/"},
		&fakeCore{}, Deps{Claims: h.store, People: h.store})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Run(t.Context()); err == nil || strings.Contains(err.Error(), testSecret) {
		t.Errorf("Run with an unreachable API: %v", err)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "request refused") || !strings.Contains(logs, "slack call failed") {
		t.Fatalf("the failures were not logged:\n%s", logs)
	}
	for _, s := range []string{testAppToken, testBotToken, testSecret} {
		if strings.Contains(logs, s) {
			t.Errorf("log holds a secret:\n%s", logs)
		}
	}
}

func TestNewRefusesIncompleteSetup(t *testing.T) {
	_, err := New(Config{BotToken: testBotToken, AppToken: testAppToken, Channels: map[string]ChannelSettings{"C1": {Collections: []string{"hr"}}}},
		nil, Deps{Commands: map[string]Command{"Ask": {}}})
	for _, want := range []string{"core is required", "Deps.Claims and Deps.People", "needs Deps.Documents", `command "Ask"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
