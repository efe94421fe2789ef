package slack

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lorehq/lore/bot"
)

// Parsing an event never panics, and whatever it accepts renders without
// any injected control sequence.
func FuzzParseEnvelope(f *testing.F) {
	for _, name := range []string{"app_mention.json", "message_im.json", "message_thread.json", "message_bot.json", "app_home_opened.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"type":"url_verification","challenge":"c"}`))
	f.Add([]byte(`{"type":"event_callback","event_id":"E","event":{"type":"message","text":"<!channel> <@U0123|ada> <!subteam^S1> \u0000 \ud800"}}`))
	f.Add([]byte("{\"type\":\"event_callback\",\"event_id\":\"E\",\"event\":{\"type\":\"message\",\"text\":\"&lt;!here&gt; \xff\"}}"))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"type":"event_callback","event_id":"E","event":{"type":"message","text":"x\n` + "````" + `\n<!channel> ` + "```" + `\n<@U1>\n` + "```" + `\n<!here>"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := parseEnvelope(body)
		if err != nil {
			return
		}
		if env.Type == "event_callback" && (env.EventID == "" || env.Event.Type == "") {
			t.Fatalf("accepted an event without id or type: %+v", env)
		}
		text := unescapeText(stripMention(env.Event.Text, "UBOT"))
		if mentions(text, "UBOT") && strings.Contains(env.Event.Text, "<@UBOT>") {
			t.Fatalf("mention left in %q", text)
		}
		checkNoInjection(t, render(bot.Reply{Text: text, Citations: []bot.Citation{{N: 1, Title: text, Source: text}}}, renderOptions{}))
	})
}

// Parsing a slash command, as a form or as JSON, never panics; what it
// accepts has a command, a user and a channel.
func FuzzParseCommand(f *testing.F) {
	f.Add(readTestdata(f, "slash_command.txt"))
	f.Add([]byte("command=%2Flore&text=ask+%3C%21channel%3E&user_id=U1&channel_id=C1"))
	f.Add([]byte("command=%2Flore&text=%ff%fe&user_id=U1&channel_id=C1"))
	f.Add([]byte("%zz"))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, parse := range []func([]byte) (command, error){parseCommandForm, parseCommandJSON} {
			c, err := parse(body)
			if err != nil {
				continue
			}
			if c.Command == "" || c.UserID == "" || c.ChannelID == "" {
				t.Fatalf("accepted %+v", c)
			}
		}
		if v, err := url.ParseQuery(string(body)); err == nil {
			js, _ := json.Marshal(map[string]string{"command": v.Get("command"), "text": v.Get("text"), "user_id": v.Get("user_id"), "channel_id": v.Get("channel_id")})
			a, errA := parseCommandForm(body)
			b, errB := parseCommandJSON(js)
			if (errA == nil) != (errB == nil) || errA == nil && (a.Text != b.Text && utf8.ValidString(a.Text)) {
				t.Fatalf("form and JSON disagree: %+v %v / %+v %v", a, errA, b, errB)
			}
		}
	})
}

// Parsing a button press never panics; what it accepts has a user and at
// least one action.
func FuzzParseInteraction(f *testing.F) {
	f.Add(readTestdata(f, "block_actions.json"))
	f.Add([]byte(`{"type":"view_submission"}`))
	f.Add([]byte(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"x","value":"\xff"}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		in, err := parseInteractionJSON(payload)
		if err != nil {
			return
		}
		if in.User.ID == "" || len(in.Actions) == 0 || in.Type != "block_actions" {
			t.Fatalf("accepted %+v", in)
		}
		_ = in.thread()
		form := []byte(url.Values{"payload": {string(payload)}}.Encode())
		if _, err := parseInteractionForm(form); err != nil {
			t.Fatalf("the same payload as a form was refused: %v", err)
		}
	})
}
