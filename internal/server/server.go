// Package server owns Willay's HTTP surface: it is built in one place
// (New), and routes.go lists every endpoint.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/ussd"
)

// Pinger tells whether storage answers, for /healthz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps is everything the server needs.
type Deps struct {
	Engine     *engine.Engine
	Gateways   []ussd.Gateway
	Storage    Pinger
	Log        *slog.Logger
	Registry   *prometheus.Registry
	HopTimeout time.Duration // storage must answer within it, or the phone hears "busy"
	SMS        *SMSDeps      // the Twilio webhooks
	// Guard is who may post hops, on every gateway's route.
	Guard Guard
	// TrustedProxies are the proxies whose X-Forwarded-For is believed;
	// none: a client's address is the peer's.
	TrustedProxies []netip.Prefix
}

// New builds the HTTP handler.
func New(d Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	proxies := make([]string, len(d.TrustedProxies))
	for i, p := range d.TrustedProxies {
		proxies[i] = p.String()
	}
	// gin trusts every proxy by default; nil trusts none, which is also
	// what a list gin cannot read falls back to.
	if err := r.SetTrustedProxies(proxies); err != nil {
		d.Log.Error("trusted proxies refused: trusting none", "err", err)
		_ = r.SetTrustedProxies(nil)
	}
	m := newMetrics(d.Registry)
	routes(r, d, m)
	return r
}

// handleHop answers one USSD hop. Whatever fails inside, the phone gets a
// screen: storage errors and timeouts become the "busy" END screen, never a
// 500 or a hang.
func handleHop(d Deps, gw ussd.Gateway, m *metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		hop, err := gw.Parse(c.Request)
		var bad *ussd.BadRequest
		if errors.As(err, &bad) {
			m.bad.WithLabelValues(gw.Name(), bad.Field).Inc()
			d.Log.Warn("bad ussd request", "gateway", gw.Name(), "field", bad.Field, "reason", bad.Reason)
			gw.WriteError(c.Writer, bad)
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), d.HopTimeout)
		defer cancel()
		reply, err := answer(ctx, d.Engine, hop)
		if err != nil {
			m.redisErrors.Inc()
			d.Log.Error("hop failed", "gateway", gw.Name(), "session", hop.SessionID, "phone", phone.Mask(hop.Phone), "err", err)
			reply = d.Engine.Busy()
		}
		gw.Write(c.Writer, reply)
		m.hops.WithLabelValues(gw.Name(), reply.Node, reply.Lang).Inc()
		m.latency.WithLabelValues(gw.Name()).Observe(time.Since(start).Seconds())
		if d.Log.Enabled(ctx, slog.LevelDebug) {
			d.Log.Debug("hop", "gateway", gw.Name(), "session", hop.SessionID, "phone", phone.Mask(hop.Phone), "node", reply.Node, "end", reply.End)
		}
	}
}

// answer runs the engine and turns a panic into an error, so that a bug
// in one flow is a "busy" screen for one person, not a dropped connection.
func answer(ctx context.Context, e *engine.Engine, hop engine.Hop) (reply engine.Reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("panic in engine")
			slog.Error("panic in engine", "panic", p)
		}
	}()
	return e.Handle(ctx, hop)
}

// healthz tells a load balancer whether this instance can serve. The
// public answer names nothing of the set-up (Redis's address is in the
// error); the log has the detail.
func healthz(d Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
		defer cancel()
		if err := d.Storage.Ping(ctx); err != nil {
			d.Log.Error("healthz: storage does not answer", "err", err)
			c.String(http.StatusServiceUnavailable, "storage unavailable")
			return
		}
		c.String(http.StatusOK, "ok")
	}
}
