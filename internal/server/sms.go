package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/inbound"
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
	Inbound   *inbound.Service
	Now       func() time.Time
}

// smsInbound answers Twilio's incoming-message webhook with TwiML in the
// person's language. A request that is not signed by Twilio changes
// nothing; one without a MessageSid is refused, since the sender and that
// ID name what the message does. When storage is down, the message is
// spooled and answered with an empty TwiML: its answer follows by SMS.
func smsInbound(d Deps, m *metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		s := d.SMS
		if !twilio.Valid(s.AuthToken, s.PublicURL, c.Request) {
			m.smsIn.WithLabelValues("forged").Inc()
			c.String(http.StatusForbidden, "invalid signature")
			return
		}
		in, err := twilio.Incoming(c.Request.PostForm, s.Now())
		if err != nil {
			m.smsIn.WithLabelValues("bad").Inc()
			d.Log.Warn("bad sms webhook", "reason", err.Error())
			c.String(http.StatusBadRequest, err.Error())
			return
		}
		res, err := s.Inbound.Receive(c.Request.Context(), in)
		if err != nil {
			d.Log.Error("sms in: neither storage nor the spool took the message", "phone", phone.Mask(in.From), "err", err)
			c.Status(http.StatusServiceUnavailable)
			return
		}
		m.smsIn.WithLabelValues(res.Outcome).Inc()
		twiml(c, res.Text)
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

// smsStatus takes Twilio's status callbacks. A callback that comes before
// the worker has recorded the message's SID is kept and applied when it
// is (see redisstore.ReportStatus), and answered 200: Twilio does not
// retry status callbacks, so answering otherwise would not bring it back.
func smsStatus(d Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		s := d.SMS
		if !twilio.Valid(s.AuthToken, s.PublicURL, c.Request) {
			c.String(http.StatusForbidden, "invalid signature")
			return
		}
		f := c.Request.PostForm
		sid, err := twilio.MessageSID(f)
		if err != nil {
			c.String(http.StatusBadRequest, err.Error())
			return
		}
		st := statusOf[f.Get("MessageStatus")]
		if st == "" {
			c.Status(http.StatusOK)
			return
		}
		code, _ := strconv.Atoi(f.Get("ErrorCode"))
		id, err := s.Store.ReportStatus(c.Request.Context(), sid, sms.Step{Status: st, At: s.Now(), Code: code, Error: f.Get("ErrorMessage")})
		if err != nil {
			d.Log.Error("status callback", "sid", sid, "err", err)
			c.Status(http.StatusServiceUnavailable)
			return
		}
		if id == "" {
			d.Log.Info("status callback before its message's SID was recorded: kept until it is", "sid", sid, "status", st)
		}
		c.Status(http.StatusOK)
	}
}

var _ engine.Subscriptions = (*redisstore.Store)(nil)
