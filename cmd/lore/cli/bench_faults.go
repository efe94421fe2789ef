package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lorehq/lore/adapters/slack/slackfake"
)

// Faults lore bench serve can inject a third of the way into the load.
const (
	faultNone            = ""
	faultKillReplica     = "kill-replica"
	faultPostgresRestart = "postgres-restart"
	faultSlackErrors     = "slack-errors"
	faultModelHang       = "model-hang"
)

var benchFaults = []string{faultKillReplica, faultPostgresRestart, faultSlackErrors, faultModelHang}

// outage is how long an injected outage (database, Slack errors) lasts.
const outage = 5 * time.Second

// benchModelTimeout is the answer timeout the replicas get when the model
// hangs: answers fall back to the extractive path after it.
const benchModelTimeout = 2 * time.Second

// faultRig prepares and injects one fault.
type faultRig struct {
	name  string
	proxy *tcpProxy        // postgres-restart
	model *httptest.Server // model-hang
	note  string           // what happened, for the report
}

// prepare changes the replicas' database URL and environment for the
// fault, before they start.
func (f *faultRig) prepare(dbURL string, env []string) (string, []string, error) {
	switch f.name {
	case faultPostgresRestart:
		u, err := url.Parse(dbURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return "", nil, usageErrorf("--fault %s needs a postgres:// --db", f.name)
		}
		if f.proxy, err = newTCPProxy(u.Host); err != nil {
			return "", nil, err
		}
		u.Host = f.proxy.addr
		return u.String(), env, nil
	case faultModelHang:
		f.model = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// A model endpoint that accepts the request and never answers.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
		}))
		return dbURL, append(env, "LORE_OPENAI_BASE_URL="+f.model.URL+"/v1", "LORE_OPENAI_API_KEY=bench",
			"LORE_CHAT_MODEL=bench-hangs", "LORE_ANSWER_TIMEOUT="+benchModelTimeout.String()), nil
	}
	return dbURL, env, nil
}

// inject applies the fault to the running replicas.
func (f *faultRig) inject(ctx context.Context, reps []*replica, fake *slackfake.Server) {
	switch f.name {
	case faultKillReplica:
		_ = reps[0].cmd.Process.Signal(syscall.SIGKILL)
		f.note = "replica 1 killed (SIGKILL)"
	case faultPostgresRestart:
		f.proxy.down()
		select {
		case <-ctx.Done():
		case <-time.After(outage):
		}
		if err := f.proxy.up(); err != nil {
			f.note = "database connection not restored: " + err.Error()
			return
		}
		f.note = fmt.Sprintf("database connections cut and refused for %s", outage)
	case faultSlackErrors:
		start := time.Now()
		fake.FailWith(func(method string) (int, string, bool) {
			if method == "auth.test" {
				return 0, "", false
			}
			switch since := time.Since(start); {
			case since < outage:
				return http.StatusTooManyRequests, "1", true
			case since < 2*outage:
				return http.StatusInternalServerError, "", true
			}
			return 0, "", false
		})
		f.note = fmt.Sprintf("Slack Web API answered 429 (Retry-After 1) for %s, then 500 for %s", outage, outage)
	case faultModelHang:
		f.note = fmt.Sprintf("the model endpoint never answers; answer timeout %s", benchModelTimeout)
	}
}

func (f *faultRig) close() {
	if f.proxy != nil {
		f.proxy.down()
	}
	if f.model != nil {
		f.model.CloseClientConnections()
		f.model.Close()
	}
}

// tcpProxy forwards connections to a backend until cut, standing in for a
// database server that restarts on the same address.
type tcpProxy struct {
	addr, backend string
	mu            sync.Mutex
	ln            net.Listener
	conns         map[net.Conn]struct{}
}

func newTCPProxy(backend string) (*tcpProxy, error) {
	p := &tcpProxy{backend: backend, conns: map[net.Conn]struct{}{}, addr: "127.0.0.1:0"}
	return p, p.up()
}

// up listens on the proxy's address (a free port the first time).
func (p *tcpProxy) up() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("database proxy: %w", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", p.backend)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[b] = struct{}{}, struct{}{}
			p.mu.Unlock()
			go func() { _, _ = io.Copy(b, c); b.Close() }()
			go func() { _, _ = io.Copy(c, b); c.Close() }()
		}
	}()
	return nil
}

// down refuses new connections and cuts the open ones.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func validFault(name string) bool { return name == faultNone || slices.Contains(benchFaults, name) }

func faultList() string { return strings.Join(benchFaults, ", ") }
