package server

import (
	"cmp"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/ussd"
)

// passGateway answers every request it is given with its own refusal, so
// that a test sees whether the guard let a request through to the gateway
// without running an engine.
type passGateway struct{}

func (passGateway) Name() string { return "test" }
func (passGateway) Parse(*http.Request) (engine.Hop, error) {
	return engine.Hop{}, &ussd.BadRequest{Field: "any", Reason: "reached the gateway"}
}
func (passGateway) Write(http.ResponseWriter, engine.Reply) {}
func (passGateway) WriteError(w http.ResponseWriter, _ *ussd.BadRequest) {
	w.WriteHeader(http.StatusTeapot)
	io.WriteString(w, "reached the gateway")
}

// TestGuard: which requests reach a gateway, and the exact refusals.
func TestGuard(t *testing.T) {
	const secret = "0123456789abcdef"
	gw := netip.MustParsePrefix("196.201.214.0/24")
	proxy := netip.MustParsePrefix("10.0.0.2/32")
	const reached = "418 reached the gateway"
	for _, c := range []struct {
		name    string
		guard   Guard
		proxies []netip.Prefix
		query   string
		body    string
		from    string // the peer's address
		xff     string // X-Forwarded-For
		want    string
	}{
		{name: "open", from: "203.0.113.9", want: reached},
		{name: "secret", guard: Guard{Secret: secret}, query: "?secret=" + secret, from: "203.0.113.9", want: reached},
		{name: "no secret", guard: Guard{Secret: secret}, from: "203.0.113.9", want: "403 " + refusedSecret},
		{name: "wrong secret", guard: Guard{Secret: secret}, query: "?secret=0123456789abcdeF", want: "403 " + refusedSecret},
		{name: "secret's prefix", guard: Guard{Secret: secret}, query: "?secret=0123456789abcde", want: "403 " + refusedSecret},
		{name: "secret in the body, not the URL", guard: Guard{Secret: secret}, body: "secret=" + secret, want: "403 " + refusedSecret},
		{name: "allowed address", guard: Guard{Allow: []netip.Prefix{gw}}, from: "196.201.214.7", want: reached},
		{name: "other address", guard: Guard{Allow: []netip.Prefix{gw}}, from: "203.0.113.9", want: "403 " + refusedAddress},
		{name: "forwarded-for without a trusted proxy", guard: Guard{Allow: []netip.Prefix{gw}}, from: "203.0.113.9",
			xff: "196.201.214.7", want: "403 " + refusedAddress},
		{name: "forwarded-for from a trusted proxy", guard: Guard{Allow: []netip.Prefix{gw}}, proxies: []netip.Prefix{proxy},
			from: "10.0.0.2", xff: "196.201.214.7", want: reached},
		{name: "forwarded-for from another proxy", guard: Guard{Allow: []netip.Prefix{gw}}, proxies: []netip.Prefix{proxy},
			from: "10.0.0.3", xff: "196.201.214.7", want: "403 " + refusedAddress},
		{name: "a trusted proxy is not the gateway", guard: Guard{Allow: []netip.Prefix{gw}}, proxies: []netip.Prefix{proxy},
			from: "10.0.0.2", want: "403 " + refusedAddress},
		{name: "both, both right", guard: Guard{Secret: secret, Allow: []netip.Prefix{gw}}, query: "?secret=" + secret,
			from: "196.201.214.7", want: reached},
		{name: "both, secret only", guard: Guard{Secret: secret, Allow: []netip.Prefix{gw}}, query: "?secret=" + secret,
			from: "203.0.113.9", want: "403 " + refusedAddress},
		{name: "both, address only", guard: Guard{Secret: secret, Allow: []netip.Prefix{gw}}, from: "196.201.214.7",
			want: "403 " + refusedSecret},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := New(Deps{Gateways: []ussd.Gateway{passGateway{}}, Log: slog.New(slog.DiscardHandler),
				Registry: prometheus.NewRegistry(), Guard: c.guard, TrustedProxies: c.proxies})
			req := httptest.NewRequest(http.MethodPost, "/ussd/test"+c.query, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.RemoteAddr = cmp.Or(c.from, "192.0.2.1") + ":40000"
			if c.xff != "" {
				req.Header.Set("X-Forwarded-For", c.xff)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if got := strings.TrimSpace(w.Result().Status[:3] + " " + w.Body.String()); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
