package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// maxInteractionBody bounds a request to the interactions endpoint; real
// interactions are a few kilobytes.
const maxInteractionBody = 1 << 20

// responseDeadline is how long the endpoint waits for the initial
// response; Discord gives up after three seconds.
const responseDeadline = 2500 * time.Millisecond

// Handler is the HTTP interactions endpoint, for an application whose
// Interactions Endpoint URL points at Lore. Every request must carry a
// valid Ed25519 signature of the application's public key over its
// timestamp and body, and a timestamp within Config.MaxTimestampAge;
// otherwise the answer is 401. PING is answered with PONG; commands and
// buttons are deferred in the HTTP response and completed through the
// REST API.
func (a *Adapter) Handler() http.Handler { return http.HandlerFunc(a.serveInteraction) }

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if a.pubKey == nil {
		http.Error(w, "the interactions endpoint is not configured: set "+EnvPublicKey, http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteractionBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "cannot read the request body", http.StatusBadRequest)
		return
	}
	if !a.verify(r.Header, body) {
		a.log.WarnContext(r.Context(), "rejected an interaction with a bad signature or timestamp", "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	ix, err := parseInteraction(body)
	if err != nil {
		a.log.WarnContext(r.Context(), "rejected a malformed interaction", "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ix.Type == discordgo.InteractionPing {
		writeJSON(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return
	}

	// The initial response is the HTTP response; the handler goes on
	// after it, so it runs on its own goroutine and waits until the
	// response is written before editing it.
	responses := make(chan *discordgo.InteractionResponse, 1)
	written := make(chan struct{})
	done := make(chan struct{})
	a.work.Add(1)
	go func() {
		defer a.work.Done()
		defer close(done)
		ctx, cancel := a.handlerContext()
		defer cancel()
		a.handleInteraction(ctx, ix, func(resp *discordgo.InteractionResponse) error {
			responses <- resp
			select {
			case <-written:
				return nil
			case <-time.After(responseDeadline):
				return errors.New("discord: the initial response was not sent in time")
			}
		})
	}()
	timer := time.NewTimer(responseDeadline)
	defer timer.Stop()
	select {
	case resp := <-responses:
		writeJSON(w, resp)
		close(written)
	case <-done:
		// Already handled: a redelivered interaction.
		http.Error(w, "interaction already handled", http.StatusConflict)
	case <-timer.C:
		http.Error(w, "no response in time", http.StatusServiceUnavailable)
	}
}

// verify checks the request's Ed25519 signature over timestamp + body and
// that the timestamp is recent, so that a captured request cannot be
// replayed later.
func (a *Adapter) verify(h http.Header, body []byte) bool {
	sig, err := hex.DecodeString(h.Get("X-Signature-Ed25519"))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	ts := h.Get("X-Signature-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	age := a.now().Sub(time.Unix(secs, 0))
	if age > a.cfg.MaxTimestampAge || age < -a.cfg.MaxTimestampAge {
		return false
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	return ed25519.Verify(a.pubKey, msg, sig)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "cannot encode the response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
