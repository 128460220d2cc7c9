package twilio

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/twilio/twilio-go/client"
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
