package discord

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fixed test key: the seed is the bytes 0, 1, ..., 31.
var testKey = func() ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	return ed25519.NewKeyFromSeed(seed)
}()

func hexKey() string { return hex.EncodeToString(testKey.Public().(ed25519.PublicKey)) }

// testNow is the fixed clock of the endpoint tests.
var testNow = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

func endpointAdapter(t *testing.T, f *fakeDiscord, core Core, log *testLog) *Adapter {
	cfg := testConfig(f, log)
	cfg.PublicKey = hexKey()
	cfg.Clock = func() time.Time { return testNow }
	return newTestAdapter(t, cfg, core)
}

// signed is a request as Discord sends it: the signature covers the
// timestamp followed by the body.
func signed(body []byte, ts time.Time, key ed25519.PrivateKey) *http.Request {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Signature-Timestamp", stamp)
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(key, append([]byte(stamp), body...))))
	return r
}

func serve(a *Adapter, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, r)
	return w
}

func TestHandlerVerifiesSignatures(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &fakeCore{}
	a := endpointAdapter(t, f, core, &log)
	ping := []byte(`{"id":"1","application_id":"1111","type":1,"token":"t","version":1}`)
	_, otherKey, _ := ed25519.GenerateKey(nil)

	t.Run("PING is answered with PONG", func(t *testing.T) {
		w := serve(a, signed(ping, testNow, testKey))
		if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"type":1}` || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("got %d %q", w.Code, w.Body)
		}
	})
	bad := map[string]func() *http.Request{
		"tampered body": func() *http.Request {
			r := signed(ping, testNow, testKey)
			r.Body = httptestBody(bytes.Replace(ping, []byte(`"type":1`), []byte(`"type":2`), 1))
			return r
		},
		"another key": func() *http.Request { return signed(ping, testNow, otherKey) },
		"no signature": func() *http.Request {
			r := signed(ping, testNow, testKey)
			r.Header.Del("X-Signature-Ed25519")
			return r
		},
		"no timestamp": func() *http.Request {
			r := signed(ping, testNow, testKey)
			r.Header.Del("X-Signature-Timestamp")
			return r
		},
		"signature not hex": func() *http.Request {
			r := signed(ping, testNow, testKey)
			r.Header.Set("X-Signature-Ed25519", "zz")
			return r
		},
		"changed timestamp": func() *http.Request {
			r := signed(ping, testNow, testKey)
			r.Header.Set("X-Signature-Timestamp", strconv.FormatInt(testNow.Unix()+1, 10))
			return r
		},
		"old timestamp (replay)": func() *http.Request { return signed(ping, testNow.Add(-6*time.Minute), testKey) },
		"future timestamp":       func() *http.Request { return signed(ping, testNow.Add(6*time.Minute), testKey) },
	}
	for name, req := range bad {
		t.Run(name+" is 401", func(t *testing.T) {
			if w := serve(a, req()); w.Code != http.StatusUnauthorized {
				t.Fatalf("got %d %q, want 401", w.Code, w.Body)
			}
		})
	}
	t.Run("a timestamp within the bound is accepted", func(t *testing.T) {
		if w := serve(a, signed(ping, testNow.Add(-4*time.Minute), testKey)); w.Code != http.StatusOK {
			t.Fatalf("got %d %q", w.Code, w.Body)
		}
	})
	t.Run("GET is 405", func(t *testing.T) {
		w := serve(a, httptest.NewRequest(http.MethodGet, "/", nil))
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
			t.Fatalf("got %d", w.Code)
		}
	})
	t.Run("a huge body is 413", func(t *testing.T) {
		if w := serve(a, signed(bytes.Repeat([]byte("x"), maxInteractionBody+1), testNow, testKey)); w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d", w.Code)
		}
	})
	for name, body := range map[string]string{
		"not JSON":       "\xff\xfe binary",
		"no type":        `{"id":"1","token":"t","application_id":"1111"}`,
		"no token":       `{"id":"1","type":2,"application_id":"1111","data":{"name":"lore"}}`,
		"data not shape": `{"id":"1","type":2,"token":"t","application_id":"1111","data":"ask"}`,
	} {
		t.Run("signed but "+name+" is 400", func(t *testing.T) {
			if w := serve(a, signed([]byte(body), testNow, testKey)); w.Code != http.StatusBadRequest {
				t.Fatalf("got %d %q", w.Code, w.Body)
			}
		})
	}
	if got := core.gotMessages(); len(got) != 0 {
		t.Errorf("the core saw %d messages from rejected requests", len(got))
	}
}

func TestHandlerWithoutPublicKeyIsUnavailable(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
	if w := serve(a, signed([]byte(`{"type":1}`), time.Now(), testKey)); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), EnvPublicKey) {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
}

// TestHandlerDefersAndFollowsUp: over HTTP the deferral is the response
// itself; the answer then arrives as an edit of the original response.
func TestHandlerDefersAndFollowsUp(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &fakeCore{}
	a := endpointAdapter(t, f, core, &log)
	body, _ := json.Marshal(interactionPayload(1, 2, askCommand("leave?")))
	w := serve(a, signed(body, testNow, testKey))
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"type":5}` {
		t.Fatalf("got %d %q, want a deferred response", w.Code, w.Body)
	}
	edit := f.waitFor(t, 1, http.MethodPatch, reOriginal)
	if !strings.Contains(string(edit[0].Body), "27 days") {
		t.Errorf("edit = %s", edit[0].Body)
	}
	if len(f.recorded(http.MethodPost, reCallback)) != 0 {
		t.Error("an HTTP interaction was also answered through the callback endpoint")
	}
	if got := core.gotMessages(); len(got) != 1 || got[0].Text != "ask leave?" || got[0].User != "6666" || got[0].Workspace != testGuild {
		t.Errorf("core got %+v", got)
	}
	// The same interaction again is not answered twice.
	if w := serve(a, signed(body, testNow, testKey)); w.Code != http.StatusConflict {
		t.Errorf("redelivery: got %d", w.Code)
	}
	a.work.Wait()
	if got := core.gotMessages(); len(got) != 1 {
		t.Errorf("the core saw the redelivered interaction: %d messages", len(got))
	}
	f.checkNoMentions(t)
}
