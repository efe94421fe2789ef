package discord

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// FuzzParseInteraction feeds arbitrary bodies to the parsing an unsigned
// attacker cannot reach but Discord's payloads of every shape do: it must
// never panic, and what it accepts must become a well-formed request or a
// polite refusal.
func FuzzParseInteraction(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "interactions", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed corpus: %v", err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	a, err := New(Config{Token: testToken, AppID: testApp}, &fakeCore{}, Deps{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ix, err := parseInteraction(body)
		if err != nil {
			return
		}
		if ix.Type == discordgo.InteractionPing {
			return
		}
		if ix.ID == "" || ix.Token == "" {
			t.Fatalf("accepted an interaction without id or token: %q", body)
		}
		req, err := a.toRequest(ix)
		if err != nil {
			if _, ok := err.(userMessage); !ok {
				t.Fatalf("refusal is not a user message: %v", err)
			}
			return
		}
		if req.command {
			if req.msg.User == "" || !utf8.ValidString(req.msg.Text) || req.msg.Platform != Platform {
				t.Fatalf("bad message from %q: %+v", body, req.msg)
			}
			return
		}
		id, ok := encodeCustomID(req.action.ID, req.action.Value)
		if !ok || id != ix.MessageComponentData().CustomID {
			t.Fatalf("custom_id does not round-trip: %q → %+v", ix.MessageComponentData().CustomID, req.action)
		}
	})
}

func TestSeedCorpusParses(t *testing.T) {
	a, err := New(Config{Token: testToken, AppID: testApp}, &fakeCore{}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"ask.json": "ask How do I reset my VPN password?", "help-dm.json": "help"} {
		b, err := os.ReadFile(filepath.Join("testdata", "interactions", name))
		if err != nil {
			t.Fatal(err)
		}
		ix, err := parseInteraction(b)
		if err != nil {
			t.Fatal(err)
		}
		req, err := a.toRequest(ix)
		if err != nil || req.msg.Text != want {
			t.Errorf("%s: %q, %v", name, req.msg.Text, err)
		}
	}
}
