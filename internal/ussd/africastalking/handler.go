// Package africastalking speaks Africa's Talking's USSD format: a form POST
// with sessionId, serviceCode, phoneNumber, networkCode and text, where text
// holds every input so far joined by "*"; the answer is text/plain starting
// with "CON " (continue) or "END " (close).
package africastalking

import (
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/ussd"
)

// Gateway is Africa's Talking.
type Gateway struct{}

// Name implements ussd.Gateway.
func (Gateway) Name() string { return "africastalking" }

// Parse implements ussd.Gateway.
func (Gateway) Parse(r *http.Request) (engine.Hop, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, ussd.MaxBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return engine.Hop{}, &ussd.BadRequest{Field: "body", Reason: "larger than 8 KiB"}
		}
		return engine.Hop{}, &ussd.BadRequest{Field: "body", Reason: "not a form: " + err.Error()}
	}
	f := r.PostForm
	hop := engine.Hop{Gateway: "africastalking", SessionID: f.Get("sessionId"), ServiceCode: f.Get("serviceCode"), Network: f.Get("networkCode")}
	if err := checkSessionID(hop.SessionID); err != nil {
		return engine.Hop{}, err
	}
	if hop.ServiceCode == "" {
		return engine.Hop{}, &ussd.BadRequest{Field: "serviceCode", Reason: "missing"}
	}
	p, err := phone.Normalize(f.Get("phoneNumber"))
	if err != nil {
		return engine.Hop{}, &ussd.BadRequest{Field: "phoneNumber", Reason: err.Error()}
	}
	hop.Phone = p
	hop.Inputs, err = inputs(f.Get("text"))
	return hop, err
}

func checkSessionID(id string) error {
	if id == "" {
		return &ussd.BadRequest{Field: "sessionId", Reason: "missing"}
	}
	if len(id) > ussd.MaxSessionID {
		return &ussd.BadRequest{Field: "sessionId", Reason: "longer than 128 characters"}
	}
	for _, r := range id {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.:", r)) {
			return &ussd.BadRequest{Field: "sessionId", Reason: "only letters, digits and - _ . : are allowed"}
		}
	}
	return nil
}

// inputs splits text into the inputs so far. Empty text is the first hop.
func inputs(text string) ([]string, error) {
	if text == "" {
		return nil, nil
	}
	if !utf8.ValidString(text) {
		return nil, &ussd.BadRequest{Field: "text", Reason: "not UTF-8"}
	}
	parts := strings.Split(text, "*")
	if len(parts) > ussd.MaxInputs {
		return nil, &ussd.BadRequest{Field: "text", Reason: "more than 64 inputs"}
	}
	for _, p := range parts {
		if utf8.RuneCountInString(p) > ussd.MaxInput {
			return nil, &ussd.BadRequest{Field: "text", Reason: "an input longer than 182 characters"}
		}
	}
	return parts, nil
}

// Write implements ussd.Gateway.
func (Gateway) Write(w http.ResponseWriter, reply engine.Reply) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	prefix := "CON "
	if reply.End {
		prefix = "END "
	}
	_, _ = w.Write([]byte(prefix + reply.Text))
}

// WriteError implements ussd.Gateway: Africa's Talking ends the session on
// any status but 200, so a 400 with an END body is both honest to the
// operator's logs and clear to the phone.
func (Gateway) WriteError(w http.ResponseWriter, err *ussd.BadRequest) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte("END Solicitud no valida (" + err.Field + ")."))
}
