package server

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/gin-gonic/gin"
)

// Guard is who may post hops. It is the gateways' one rule: every route
// of every gateway goes through it, whatever the gateway's wire format.
type Guard struct {
	// Secret, when set, must be the callback URL's ?secret= parameter.
	Secret string
	// Allow, when set, holds the gateway's addresses. The client's address
	// is the peer's, or what a trusted proxy says (Deps.TrustedProxies).
	Allow []netip.Prefix
}

// SecretParam is the query parameter of the callback URL that carries the
// secret: https://HOST/ussd/africastalking?secret=…
const SecretParam = "secret"

// The exact answers to a refused hop. They name no secret and no rule a
// caller could learn from beyond what it sent.
const (
	refusedSecret  = "forbidden: wrong or missing secret"
	refusedAddress = "forbidden: address not allowed"
)

// guard refuses, with 403 and a plain-text reason, a hop that lacks the
// secret or comes from an address not allowed. Both are checked when both
// are set.
func guard(g Guard, gateway string, log *slog.Logger, m *metrics) gin.HandlerFunc {
	secret := []byte(g.Secret)
	return func(c *gin.Context) {
		if len(secret) > 0 && subtle.ConstantTimeCompare([]byte(c.Query(SecretParam)), secret) != 1 {
			refuse(c, gateway, "secret", refusedSecret, log, m)
			return
		}
		if len(g.Allow) > 0 && !allowed(g.Allow, c.ClientIP()) {
			refuse(c, gateway, "address", refusedAddress, log, m)
			return
		}
		c.Next()
	}
}

func allowed(allow []netip.Prefix, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func refuse(c *gin.Context, gateway, field, reason string, log *slog.Logger, m *metrics) {
	m.bad.WithLabelValues(gateway, field).Inc()
	log.Warn("refused ussd request", "gateway", gateway, "why", field, "from", c.ClientIP())
	c.String(http.StatusForbidden, reason)
	c.Abort()
}
