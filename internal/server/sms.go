package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/twilio"
)

// SMSDeps is what the Twilio webhooks need.
type SMSDeps struct {
	AuthToken string // Twilio's; signatures are checked with it
	PublicURL string // WILLAY_PUBLIC_URL: the URL Twilio signs
	Store     *redisstore.Store
	LoopLimit int // incoming messages a minute before a number is muted
	Now       func() time.Time
}

// smsInbound answers Twilio's incoming-message webhook with TwiML in the
// person's language. A request that is not signed by Twilio changes nothing.
func smsInbound(d Deps, m *metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		s := d.SMS
		if !twilio.Valid(s.AuthToken, s.PublicURL, c.Request) {
			m.smsIn.WithLabelValues("forged").Inc()
			c.String(http.StatusForbidden, "invalid signature")
			return
		}
		f := c.Request.PostForm
		from, err := phone.Normalize(f.Get("From"))
		if err != nil {
			m.smsIn.WithLabelValues("bad").Inc()
			twiml(c, "")
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
		defer cancel()
		guard, err := s.Store.GuardInbound(ctx, from, s.LoopLimit, s.Now())
		if err != nil {
			d.Log.Error("sms guard", "phone", phone.Mask(from), "err", err)
			c.Status(http.StatusServiceUnavailable) // Twilio retries the webhook
			return
		}
		switch guard {
		case redisstore.Ignore:
			m.smsIn.WithLabelValues("muted").Inc()
			twiml(c, "")
			return
		case redisstore.WarnOnce:
			m.smsIn.WithLabelValues("loop").Inc()
			twiml(c, d.Engine.Notice(ctx, from, "sms.loop"))
			return
		}
		reply, err := d.Engine.ReplySMS(ctx, from, f.Get("Body"), f.Get("MessageSid"), s.Store)
		if err != nil {
			d.Log.Error("sms reply", "phone", phone.Mask(from), "err", err)
			c.Status(http.StatusServiceUnavailable)
			return
		}
		m.smsIn.WithLabelValues(reply.Lang).Inc()
		twiml(c, reply.Text)
	}
}

func twiml(c *gin.Context, text string) {
	c.Data(http.StatusOK, twilio.TwiMLContentType, twilio.TwiML(text))
}

// statusOf maps Twilio's message statuses to ours; the others (queued,
// accepted, scheduled, sending) say nothing new.
var statusOf = map[string]sms.Status{
	"sent": sms.Sent, "delivered": sms.Delivered, "read": sms.Delivered,
	"undelivered": sms.Undelivered, "failed": sms.Failed, "canceled": sms.Failed,
}

// smsStatus takes Twilio's status callbacks. A callback for a message we do
// not know is logged and answered 200, so that Twilio does not retry it.
func smsStatus(d Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		s := d.SMS
		if !twilio.Valid(s.AuthToken, s.PublicURL, c.Request) {
			c.String(http.StatusForbidden, "invalid signature")
			return
		}
		f := c.Request.PostForm
		sid, st := f.Get("MessageSid"), statusOf[f.Get("MessageStatus")]
		if st == "" {
			c.Status(http.StatusOK)
			return
		}
		code, _ := strconv.Atoi(f.Get("ErrorCode"))
		ctx := c.Request.Context()
		id, err := s.Store.MessageBySID(ctx, sid)
		if err == nil && id == "" {
			d.Log.Warn("status callback for an unknown message", "sid", sid, "status", st)
			c.Status(http.StatusOK)
			return
		}
		if err == nil {
			_, err = s.Store.AddStep(ctx, id, sms.Step{Status: st, At: s.Now(), Code: code, Error: f.Get("ErrorMessage")}, "")
		}
		if err == nil && code == 21610 {
			err = s.Store.SetOptOut(ctx, f.Get("To"), true)
		}
		if err != nil {
			d.Log.Error("status callback", "sid", sid, "err", err)
			c.Status(http.StatusServiceUnavailable)
			return
		}
		c.Status(http.StatusOK)
	}
}

var _ engine.Subscriptions = (*redisstore.Store)(nil)
