package twiliotest

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Sign computes X-Twilio-Signature the way Twilio does: base64 of the
// HMAC-SHA1, keyed with the auth token, of the full URL followed by each
// POST parameter's name and value, sorted by name. It is written from
// Twilio's description, not borrowed from twilio-go, so tests that check
// signatures with twilio-go compare two independent implementations.
func (s *Server) Sign(fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		for _, v := range params[k] {
			b.WriteString(k + v)
		}
	}
	mac := hmac.New(sha1.New, []byte(s.token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Deliver plays Twilio reporting a status change of message sid to the
// StatusCallback it was created with. errorCode 0 sends no ErrorCode.
func (s *Server) Deliver(ctx context.Context, sid, status string, errorCode int) (*http.Response, error) {
	m, ok := s.lookup(sid)
	if !ok {
		return nil, fmt.Errorf("twiliotest: no message %s", sid)
	}
	if m.StatusCallback == "" {
		return nil, fmt.Errorf("twiliotest: message %s has no StatusCallback", sid)
	}
	form := url.Values{
		"MessageSid": {sid}, "SmsSid": {sid}, "MessageStatus": {status}, "SmsStatus": {status},
		"AccountSid": {s.sid}, "From": {m.From}, "To": {m.To}, "ApiVersion": {apiVersion},
	}
	if m.ServiceSID != "" {
		form.Set("MessagingServiceSid", m.ServiceSID)
	}
	if errorCode != 0 {
		form.Set("ErrorCode", strconv.Itoa(errorCode))
	}
	return s.post(ctx, m.StatusCallback, form, s.Sign(m.StatusCallback, form))
}

// Inbound plays a person texting `to` (our number): a signed webhook to
// webhookURL, as configured on the number in Twilio's console.
func (s *Server) Inbound(ctx context.Context, webhookURL, from, to, body string) (*http.Response, error) {
	form := s.inboundForm(from, to, body)
	return s.post(ctx, webhookURL, form, s.Sign(webhookURL, form))
}

// InboundUnsigned sends the same webhook without X-Twilio-Signature.
func (s *Server) InboundUnsigned(ctx context.Context, webhookURL, from, to, body string) (*http.Response, error) {
	return s.post(ctx, webhookURL, s.inboundForm(from, to, body), "")
}

// InboundWithSignature sends the webhook with a signature of the caller's
// choosing, for forged-request tests.
func (s *Server) InboundWithSignature(ctx context.Context, webhookURL, from, to, body, sig string) (*http.Response, error) {
	return s.post(ctx, webhookURL, s.inboundForm(from, to, body), sig)
}

func (s *Server) inboundForm(from, to, body string) url.Values {
	sid := newSID("SM")
	return url.Values{
		"MessageSid": {sid}, "SmsMessageSid": {sid}, "SmsSid": {sid}, "SmsStatus": {"received"},
		"AccountSid": {s.sid}, "From": {from}, "To": {to}, "Body": {body},
		"NumMedia": {"0"}, "NumSegments": {strconv.Itoa(segments(body))}, "ApiVersion": {apiVersion},
	}
}

// Post sends any signed form to any URL, for tests that need a webhook
// Inbound and Deliver do not make (for example one signed for a public URL
// but posted to a local server, as behind a proxy).
func (s *Server) Post(ctx context.Context, target string, form url.Values, sig string) (*http.Response, error) {
	return s.post(ctx, target, form, sig)
}

func (s *Server) post(ctx context.Context, target string, form url.Values, sig string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	return s.hc.Do(req)
}
