package testredis

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy is a TCP proxy in front of Redis that a test can cut and restore,
// to see what the service does when Redis goes away and comes back.
type Proxy struct {
	Addr string

	target string
	ln     net.Listener
	mu     sync.Mutex
	down   bool
	stall  bool
	conns  []net.Conn
}

// NewProxy listens on a free loopback port and forwards to target.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln}
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.Cut()
	})
	return p
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		switch {
		case p.down:
			p.mu.Unlock()
			_ = c.Close()
			continue
		case p.stall:
			p.conns = append(p.conns, c) // held open, never answered
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		go p.pipe(c)
	}
}

func (p *Proxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
	_, _ = io.Copy(c, up)
	_ = c.Close()
}

// Cut refuses new connections and closes open ones: Redis is "down".
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// Stall closes open connections and then accepts new ones but never
// answers: Redis "hangs", the worst case for a caller without timeouts.
func (p *Proxy) Stall() {
	p.Cut()
	p.mu.Lock()
	p.down, p.stall = false, true
	p.mu.Unlock()
}

// Restore lets connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.down, p.stall = false, false
	p.mu.Unlock()
}
