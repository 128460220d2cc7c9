package twiliotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"
)

// maxBodyChars is Twilio's limit on a message body (error 21617).
const maxBodyChars = 1600

// message is the JSON of Twilio's Message resource, with the fields Twilio
// sends as null kept as nil pointers so the shape matches.
type message struct {
	AccountSID          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                *string           `json:"from"`
	MessagingServiceSID *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	SID                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

// createMessage follows Twilio's order: authenticate, validate, then
// (here) apply programmed failures, and only then accept.
func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	// The body is read before any delay: net/http only notices a client
	// that gave up once the body is consumed, and wait relies on that.
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	parseErr := r.ParseForm()
	if !s.wait(r) {
		return
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != s.sid || pass != s.token ||
		r.PathValue("AccountSid") != s.sid {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if parseErr != nil {
		writeError(w, http.StatusBadRequest, 20001, "Could not parse the request body")
		return
	}
	in := Received{
		To: r.PostForm.Get("To"), From: r.PostForm.Get("From"),
		ServiceSID: r.PostForm.Get("MessagingServiceSid"), Body: r.PostForm.Get("Body"),
		StatusCallback: r.PostForm.Get("StatusCallback"),
	}
	if status, code, msg := validate(in); code != 0 {
		writeError(w, status, code, msg)
		return
	}
	if f := s.failureFor(in.To); f != nil {
		f.write(w)
		return
	}
	in.SID, in.At = newSID("SM"), time.Now().UTC()
	s.record(in)
	for _, rep := range s.earlyReports() {
		if resp, err := s.Deliver(r.Context(), in.SID, rep.status, rep.code); err == nil {
			resp.Body.Close()
		}
	}
	writeJSON(w, http.StatusCreated, s.resource(in))
}

// wait applies SetDelay, giving up when the client does.
func (s *Server) wait(r *http.Request) bool {
	d := time.Duration(s.delay.Load())
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// validate returns Twilio's answer to an incomplete request, code 0 if none.
func validate(in Received) (status, code int, msg string) {
	switch {
	case in.To == "":
		return 400, 21604, "A 'To' phone number is required."
	case in.From == "" && in.ServiceSID == "":
		return 400, 21603, "A 'From' phone number is required."
	case in.Body == "":
		return 400, 21602, "Message body is required."
	case utf8.RuneCountInString(in.Body) > maxBodyChars:
		return 400, 21617, "The concatenated message body exceeds the 1600 character limit."
	}
	return 0, 0, ""
}

func (s *Server) resource(in Received) message {
	uri := fmt.Sprintf("/%s/Accounts/%s/Messages/%s", apiVersion, s.sid, in.SID)
	date := in.At.Format(time.RFC1123Z) // Twilio dates are RFC 2822
	return message{
		AccountSID: s.sid, APIVersion: apiVersion, Body: in.Body,
		DateCreated: date, DateUpdated: date, Direction: "outbound-api",
		From: nullable(in.From), MessagingServiceSID: nullable(in.ServiceSID),
		NumMedia: "0", NumSegments: fmt.Sprint(segments(in.Body)), PriceUnit: "USD",
		SID: in.SID, Status: "queued", To: in.To, URI: uri + ".json",
		SubresourceURIs: map[string]string{"media": uri + "/Media.json"},
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, 20404,
		fmt.Sprintf("The requested resource %s was not found", r.URL.Path))
}

// writeError writes Twilio's error JSON.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"code": code, "message": msg, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
