package twilio

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/sms"
)

// maxWebhookBody bounds a webhook's form; Twilio's are a few hundred bytes.
const maxWebhookBody = 64 << 10

// TwiMLContentType is what a TwiML answer is served as.
const TwiMLContentType = "text/xml; charset=utf-8"

// Valid tells whether r is a webhook Twilio signed with authToken.
// Twilio signs the URL it was configured with, so the URL checked is
// publicURL (WILLAY_PUBLIC_URL, the address Twilio sees) followed by the
// path and query that reached us: a proxy or TLS terminator in front
// changes the scheme and host we see but not what Twilio signed.
// The form is parsed into r.PostForm, which the caller can read afterwards.
func Valid(authToken, publicURL string, r *http.Request) bool {
	sig := r.Header.Get("X-Twilio-Signature")
	if authToken == "" || sig == "" {
		return false // an empty key would make signatures anyone can compute
	}
	if r.PostForm == nil && r.Body != nil {
		r.Body = http.MaxBytesReader(nil, r.Body, maxWebhookBody)
	}
	if err := r.ParseForm(); err != nil {
		return false
	}
	// Twilio signs POST parameters only; query parameters are in the URL.
	params := make(map[string]string, len(r.PostForm))
	for k, v := range r.PostForm {
		params[k] = v[0]
	}
	v := client.NewRequestValidator(authToken)
	return v.Validate(strings.TrimRight(publicURL, "/")+r.URL.RequestURI(), params, sig)
}

// BadRequest is a webhook Twilio signed that Willay cannot take: the field
// and why, safe to show (it never repeats a phone number).
type BadRequest struct{ Field, Reason string }

func (e *BadRequest) Error() string { return e.Field + ": " + e.Reason }

// sidPattern is what a message SID may be: Twilio's are "SM" or "MM" and
// 32 hex digits; a Twilio-compatible provider's may differ, so any short
// run of letters and digits is taken, and nothing that could reach into
// another key.
var sidPattern = regexp.MustCompile(`^[A-Za-z0-9]{2,64}$`)

// MessageSID reads a webhook's MessageSid.
func MessageSID(form url.Values) (string, error) {
	sid := form.Get("MessageSid")
	switch {
	case sid == "":
		return "", &BadRequest{"MessageSid", "missing: every message Twilio posts has one"}
	case !sidPattern.MatchString(sid):
		return "", &BadRequest{"MessageSid", "malformed: want 2 to 64 letters and digits"}
	}
	return sid, nil
}

// Incoming reads an incoming-message webhook's form (checked with Valid)
// into the message a person sent, arrived at `at`. Its identity is the
// sender and the MessageSid, so both must be there: otherwise a
// *BadRequest.
func Incoming(form url.Values, at time.Time) (sms.Incoming, error) {
	sid, err := MessageSID(form)
	if err != nil {
		return sms.Incoming{}, err
	}
	from, err := phone.Normalize(form.Get("From"))
	if err != nil {
		return sms.Incoming{}, &BadRequest{"From", "not a phone number"}
	}
	return sms.Incoming{From: from, SID: sid, Body: form.Get("Body"), At: at}, nil
}

// TwiML is the answer to an inbound SMS webhook: reply as one message, or
// no message at all when reply is empty.
func TwiML(reply string) []byte {
	const head = `<?xml version="1.0" encoding="UTF-8"?><Response>`
	if reply == "" {
		return []byte(head + "</Response>")
	}
	var b bytes.Buffer
	b.WriteString(head + "<Message>")
	xml.EscapeText(&b, []byte(reply)) // cannot fail on a bytes.Buffer
	b.WriteString("</Message></Response>")
	return b.Bytes()
}
