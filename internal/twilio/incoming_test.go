package twilio_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/twilio"
)

// TestIncoming: what an incoming-message webhook's form turns into, and the
// exact refusal of each bad one.
func TestIncoming(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	const sid = "SM0123456789abcdef0123456789abcdef"
	for _, c := range []struct {
		name string
		form url.Values
		want sms.Incoming
		err  string
	}{
		{"Twilio's", url.Values{"MessageSid": {sid}, "From": {"+51987654321"}, "Body": {"BAJA"}},
			sms.Incoming{From: "+51987654321", SID: sid, Body: "BAJA", At: at}, ""},
		{"national number", url.Values{"MessageSid": {sid}, "From": {"987654321"}, "Body": {""}},
			sms.Incoming{From: "+51987654321", SID: sid, At: at}, ""},
		{"no MessageSid", url.Values{"From": {"+51987654321"}, "Body": {"BAJA"}}, sms.Incoming{},
			"MessageSid: missing: every message Twilio posts has one"},
		{"MessageSid reaching into another key", url.Values{"MessageSid": {"SM1:optout"}, "From": {"+51987654321"}}, sms.Incoming{},
			"MessageSid: malformed: want 2 to 64 letters and digits"},
		{"MessageSid of one character", url.Values{"MessageSid": {"S"}, "From": {"+51987654321"}}, sms.Incoming{},
			"MessageSid: malformed: want 2 to 64 letters and digits"},
		{"no From", url.Values{"MessageSid": {sid}, "Body": {"BAJA"}}, sms.Incoming{}, "From: not a phone number"},
		{"From not a phone", url.Values{"MessageSid": {sid}, "From": {"+51 98765"}}, sms.Incoming{}, "From: not a phone number"},
	} {
		got, err := twilio.Incoming(c.form, at)
		if (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) || got != c.want {
			t.Errorf("%s: %+v, %v; want %+v, %q", c.name, got, err, c.want, c.err)
		}
	}
}
