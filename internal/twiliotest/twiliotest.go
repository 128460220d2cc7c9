// Package twiliotest is a fake Twilio for tests: an HTTP server that speaks
// the part of Twilio's REST API Willay uses (creating messages), with
// Twilio's authentication, validation errors and JSON shapes, and that can
// play Twilio's side of webhooks (signed status callbacks and inbound
// messages). Tests drive the real twilio-go client against it, so they
// exercise the wire format rather than a mock of our own interface.
package twiliotest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Defaults used when Options leaves a field empty. Both are alphanumeric
// because twilio-go refuses credentials that are not.
const (
	DefaultAccountSID = "ACdeadbeefdeadbeefdeadbeefdeadbeef"
	DefaultAuthToken  = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
)

const apiVersion = "2010-04-01"

// Options configures a fake account.
type Options struct {
	AccountSID, AuthToken string
}

// Received is one message the fake accepted.
type Received struct {
	SID, To, From, ServiceSID, Body, StatusCallback string
	At                                              time.Time
}

// Server is a fake Twilio account reachable over HTTP.
type Server struct {
	srv   *httptest.Server
	sid   string
	token string
	hc    *http.Client // for webhooks the fake sends to the app
	count atomic.Int64
	delay atomic.Int64 // time.Duration

	mu     sync.Mutex
	msgs   []Received
	bySID  map[string]int // index into msgs, for Deliver
	next   map[string]*failure
	always *failure
	early  []report // reported before each creation is answered
}

// report is a status callback the fake sends by itself.
type report struct {
	status string
	code   int
}

// New starts a fake Twilio on 127.0.0.1; it is closed when the test ends.
func New(tb testing.TB, o Options) *Server {
	tb.Helper()
	s := Start(o)
	tb.Cleanup(s.Close)
	return s
}

// Start runs a fake outside a test (the load command); Close stops it.
func Start(o Options) *Server {
	s := &Server{
		sid:   orDefault(o.AccountSID, DefaultAccountSID),
		token: orDefault(o.AuthToken, DefaultAuthToken),
		hc:    &http.Client{Timeout: 10 * time.Second},
		bySID: map[string]int{},
		next:  map[string]*failure{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{AccountSid}/Messages.json", s.createMessage)
	mux.HandleFunc("/", notFound)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// URL is the base URL to give the client instead of https://api.twilio.com.
func (s *Server) URL() string { return s.srv.URL }

// AccountSID is the account the fake accepts.
func (s *Server) AccountSID() string { return s.sid }

// AuthToken is the token the fake accepts and signs webhooks with.
func (s *Server) AuthToken() string { return s.token }

// SetDelay makes every message creation wait d before answering, as a slow
// or congested Twilio would.
func (s *Server) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// Count is how many messages were accepted. It takes no lock, so load
// tests can poll it.
func (s *Server) Count() int { return int(s.count.Load()) }

// Messages returns a copy of the accepted messages in arrival order.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// CountByBody tells how many accepted messages carried each body.
func (s *Server) CountByBody() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int)
	for _, r := range s.msgs {
		m[r.Body]++
	}
	return m
}

func (s *Server) record(r Received) {
	s.mu.Lock()
	s.bySID[r.SID] = len(s.msgs)
	s.msgs = append(s.msgs, r)
	s.mu.Unlock()
	s.count.Add(1)
}

func (s *Server) lookup(sid string) (Received, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.bySID[sid]
	if !ok {
		return Received{}, false
	}
	return s.msgs[i], true
}

// newSID makes a Twilio-shaped SID: a two-letter prefix and 32 hex digits.
func newSID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
