package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// Handler serves HTTP mode: the Events API at /slack/events, the /lore
// command at /slack/commands and button presses at /slack/interactivity.
// Every request must carry a valid signature with a timestamp within five
// minutes; it is acknowledged at once and worked in the background. The
// one exception is Slack's certificate check of the command URL (see
// isSSLCheck), which is unsigned and answered with an empty 200.
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", a.serveEvents)
	mux.HandleFunc("POST /slack/commands", a.serveCommands)
	mux.HandleFunc("POST /slack/interactivity", a.serveInteractivity)
	return mux
}

// readVerified reads a request body of bounded size and checks its
// signature, answering the request itself when either fails.
func (a *Adapter) readVerified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, ok := readBody(w, r)
	if !ok || !a.verified(w, r, body) {
		return nil, false
	}
	return body, true
}

// readBody reads a request body of bounded size, answering the request
// itself when that fails.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPayload))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "could not read the request body", http.StatusBadRequest)
		}
		return nil, false
	}
	return body, true
}

// verified checks the signature of body, answering the request with a 401
// when it does not hold.
func (a *Adapter) verified(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if err := a.verifier.Verify(r.Header, body); err != nil {
		a.log.WarnContext(r.Context(), "request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return false
	}
	return true
}

func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	env, err := parseEnvelope(body)
	if err != nil {
		a.log.WarnContext(r.Context(), "event refused", "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch env.Type {
	case envelopeURLVerification:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": env.Challenge})
		return
	case envelopeRateLimited:
		a.rateLimited(r.Context(), env)
		w.WriteHeader(http.StatusOK)
		return
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		// Answered once all the same: the event id is claimed.
		a.log.DebugContext(r.Context(), "event retried by Slack", "event_id", env.EventID, "retry", n,
			"reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	done, err := a.admit(r.Context(), env)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	fresh, err := a.checkEvent(r.Context(), env)
	if err != nil {
		done()
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	if !fresh {
		done()
		w.WriteHeader(http.StatusOK)
		return
	}
	a.background(r.Context(), "event", func(ctx context.Context) {
		defer done()
		if !a.claimEvent(ctx, env) {
			return
		}
		if a.self.Load() == nil {
			if err := a.Identify(ctx); err != nil {
				a.log.ErrorContext(ctx, "cannot identify the bot; event dropped", "err", err)
				return
			}
		}
		a.handleEnvelope(ctx, env)
	})
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) serveCommands(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if isSSLCheck(body) {
		// Slack sends it unsigned, so it is answered before verification;
		// it carries nothing to act on and nothing is done.
		w.WriteHeader(http.StatusOK)
		return
	}
	if !a.verified(w, r, body) {
		return
	}
	c, err := parseCommandForm(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.background(r.Context(), "command", func(ctx context.Context) { a.handleCommand(ctx, c) })
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) serveInteractivity(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	in, err := parseInteractionForm(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.background(r.Context(), "interaction", func(ctx context.Context) { a.handleInteraction(ctx, in) })
	w.WriteHeader(http.StatusOK)
}
