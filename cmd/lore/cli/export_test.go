package cli

import "time"

// The tests outside the package stop and restart a database through the
// proxy lore bench serve uses for its postgres-restart fault.

// TCPProxy forwards connections to a backend until cut.
type TCPProxy = tcpProxy

// NewTCPProxy listens on a free loopback port and forwards to backend.
func NewTCPProxy(backend string) (*TCPProxy, error) { return newTCPProxy(backend) }

// Addr is the address the proxy listens on.
func (p *tcpProxy) Addr() string { return p.addr }

// Up listens again on the same address.
func (p *tcpProxy) Up() error { return p.up() }

// Down refuses new connections and cuts the open ones.
func (p *tcpProxy) Down() { p.down() }

// SetShutdownBounds shortens lore serve's shutdown bounds (HTTP requests,
// jobs, the chat adapters' answers) and returns what restores them. Not for
// parallel tests.
func SetShutdownBounds(httpBound, jobs, answers time.Duration) (restore func()) {
	h, j, a := httpShutdownTimeout, jobShutdownTimeout, adapterDrainTimeout
	httpShutdownTimeout, jobShutdownTimeout, adapterDrainTimeout = httpBound, jobs, answers
	return func() { httpShutdownTimeout, jobShutdownTimeout, adapterDrainTimeout = h, j, a }
}
