// Package lrstest is an in-process fake Learning Record Store for tests.
// It implements the rules of the xAPI statement resource that Lore's
// forwarder depends on: the version header and Basic auth are required,
// statement ids are idempotent (the same id with the same content is
// accepted again, with other content it is a 409), batches above a size
// limit get a 413, and failures (429, 503) can be scripted. Its records
// survive Restart, as a real LRS's database survives its process.
package lrstest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"testing"
)

// LRS is the fake.
type LRS struct {
	Username, Password string
	// MaxBatch is the most statements one request may carry before the
	// LRS answers 413; 0: no limit.
	MaxBatch int
	// RetryAfter is the Retry-After header of a 429; default "1".
	RetryAfter string

	mu         sync.Mutex
	statements map[string]json.RawMessage
	order      []string
	voided     map[string]bool
	refused    map[string]bool // ids answered with 400, as malformed
	failures   []int           // statuses to answer with, in turn, before working
	okFirst    int             // requests to serve normally before the failures
	requests   int
	posted     int // statements received, counting repeats

	addr string
	srv  *http.Server
	ln   net.Listener
}

// Start starts an LRS on a free local port; tb stops it at cleanup.
func Start(tb testing.TB, username, password string) *LRS {
	tb.Helper()
	l := &LRS{Username: username, Password: password, statements: map[string]json.RawMessage{}, voided: map[string]bool{}}
	l.listen(tb, "127.0.0.1:0")
	tb.Cleanup(l.Stop)
	return l
}

func (l *LRS) listen(tb testing.TB, addr string) {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("fake LRS listen: %v", err)
	}
	l.ln, l.addr = ln, ln.Addr().String()
	l.srv = &http.Server{Handler: http.HandlerFunc(l.serve)}
	go l.srv.Serve(ln)
}

// URL is the xAPI endpoint.
func (l *LRS) URL() string { return "http://" + l.addr + "/xapi" }

// Stop shuts the LRS down; connections are refused until Restart.
func (l *LRS) Stop() {
	if l.srv != nil {
		l.srv.Close()
		l.srv = nil
	}
}

// Restart starts the LRS again on the same address, with its records.
func (l *LRS) Restart(tb testing.TB) {
	tb.Helper()
	l.Stop()
	l.listen(tb, l.addr)
}

// FailNext makes the next requests fail with these statuses, in turn.
func (l *LRS) FailNext(statuses ...int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures = append(l.failures, statuses...)
}

// FailAfter serves ok requests normally, then fails the next ones with
// these statuses, in turn.
func (l *LRS) FailAfter(ok int, statuses ...int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.okFirst = ok
	l.failures = append(l.failures, statuses...)
}

// Refuse makes the LRS answer 400 to any request that carries one of ids,
// as it does for a statement it finds malformed.
func (l *LRS) Refuse(ids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refused == nil {
		l.refused = map[string]bool{}
	}
	for _, id := range ids {
		l.refused[id] = true
	}
}

// Put stores a statement as if another system had sent it.
func (l *LRS) Put(id string, body json.RawMessage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.store(id, body)
}

func (l *LRS) store(id string, body json.RawMessage) {
	if _, ok := l.statements[id]; !ok {
		l.order = append(l.order, id)
	}
	l.statements[id] = body
}

// IDs returns the stored statement ids in the order they arrived.
func (l *LRS) IDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.order...)
}

// Voided reports whether a voiding statement for id has arrived.
func (l *LRS) Voided(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.voided[id]
}

// Counts returns the requests served and the statements received,
// counting repeats.
func (l *LRS) Counts() (requests, posted int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.requests, l.posted
}

type statement struct {
	ID     string              `json:"id"`
	Verb   struct{ ID string } `json:"verb"`
	Object struct {
		ObjectType string `json:"objectType"`
		ID         string `json:"id"`
	} `json:"object"`
}

func (l *LRS) serve(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests++
	if r.URL.Path != "/xapi/statements" || r.Method != http.MethodPost {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("X-Experience-API-Version") != "1.0.3" {
		http.Error(w, "X-Experience-API-Version 1.0.3 required", http.StatusBadRequest)
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != l.Username || p != l.Password {
		http.Error(w, "unauthorised", http.StatusUnauthorized)
		return
	}
	if l.okFirst > 0 {
		l.okFirst--
	} else if len(l.failures) > 0 {
		status := l.failures[0]
		l.failures = l.failures[1:]
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", cmp.Or(l.RetryAfter, "1"))
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	var raws []json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raws); err != nil {
		http.Error(w, "want a JSON array of statements: "+err.Error(), http.StatusBadRequest)
		return
	}
	if l.MaxBatch > 0 && len(raws) > l.MaxBatch {
		http.Error(w, "too many statements", http.StatusRequestEntityTooLarge)
		return
	}
	parsed := make([]statement, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &parsed[i]); err != nil || parsed[i].ID == "" || parsed[i].Verb.ID == "" {
			http.Error(w, "statement without id or verb", http.StatusBadRequest)
			return
		}
		if l.refused[parsed[i].ID] {
			http.Error(w, "statement "+parsed[i].ID+" is not valid", http.StatusBadRequest)
			return
		}
		if old, ok := l.statements[parsed[i].ID]; ok && !bytes.Equal(old, raw) {
			http.Error(w, "statement "+parsed[i].ID+" exists with other content", http.StatusConflict)
			return
		}
	}
	ids := make([]string, len(raws))
	for i, raw := range raws {
		l.posted++
		l.store(parsed[i].ID, raw)
		if parsed[i].Verb.ID == "http://adlnet.gov/expapi/verbs/voided" && parsed[i].Object.ObjectType == "StatementRef" {
			l.voided[parsed[i].Object.ID] = true
		}
		ids[i] = parsed[i].ID
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ids)
}
