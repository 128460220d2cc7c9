package twilio_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/twilio"
	"github.com/willay-pe/willay/internal/twiliotest"
)

const public = "https://willay.example.pe"

// newApp serves the webhook as Willay would: Valid, then read r.PostForm
// (echoed as the TwiML reply, proving Valid left it readable). publicOf maps
// the app's local address to the URL it believes Twilio uses.
func newApp(t *testing.T, token string, publicOf func(local string) string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	local := "http://" + srv.Listener.Addr().String()
	pub := publicOf(local)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !twilio.Valid(token, pub, r) {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", twilio.TwiMLContentType)
		w.Write(twilio.TwiML(r.PostForm.Get("Body")))
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return local
}

func same(local string) string { return local }

// read takes a webhook's answer straight from the call that made it:
// read(t)(s.Inbound(...)).
func read(t *testing.T) func(*http.Response, error) (int, string) {
	return func(res *http.Response, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
}

func TestValidAcceptsTwilio(t *testing.T) {
	s := twiliotest.New(t, twiliotest.Options{})
	ctx := context.Background()
	app := newApp(t, s.AuthToken(), same)
	status, body := read(t)(s.Inbound(ctx, app+"/sms/twilio/inbound?lang=qu", to, from, "Yanapay <3 & ñuqa"))
	if want := string(twilio.TwiML("Yanapay <3 & ñuqa")); status != 200 || body != want {
		t.Fatalf("inbound: %d %q, want %q", status, body, want)
	}
	c := newClient(t, s, func(c *twilio.Config) { c.StatusCallback = app + "/sms/twilio/status" })
	sid, err := c.Send(ctx, to, "hi")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := read(t)(s.Deliver(ctx, sid, "delivered", 0)); status != 200 {
		t.Fatalf("status callback: %d %s", status, body)
	}
	if status, body := read(t)(s.Deliver(ctx, sid, "undelivered", 30003)); status != 200 {
		t.Fatalf("status callback with error: %d %s", status, body)
	}
}

// TestValidBehindProxy: Twilio signs the public URL while the request
// reaches the app on a local address, as behind a TLS terminator.
func TestValidBehindProxy(t *testing.T) {
	s := twiliotest.New(t, twiliotest.Options{})
	app := newApp(t, s.AuthToken(), func(string) string { return public + "/" })
	form := url.Values{"From": {to}, "To": {from}, "Body": {"STOP"}, "MessageSid": {"SM1"}}
	sig := s.Sign(public+"/sms/twilio/inbound?lang=es", form)
	if status, _ := read(t)(s.Post(context.Background(), app+"/sms/twilio/inbound?lang=es", form, sig)); status != 200 {
		t.Fatalf("status %d", status)
	}
}

func TestValidRejectsForgeries(t *testing.T) {
	s := twiliotest.New(t, twiliotest.Options{})
	other := twiliotest.New(t, twiliotest.Options{AuthToken: "ffffffffffffffffffffffffffffffff"})
	ctx := context.Background()
	app := newApp(t, s.AuthToken(), same)
	elsewhere := newApp(t, s.AuthToken(), func(string) string { return public })
	tokenless := newApp(t, "", same)
	inbound := func(base string) string { return base + "/sms/twilio/inbound" }
	tests := []struct {
		name string
		send func() (*http.Response, error)
	}{
		{"changed param", func() (*http.Response, error) {
			form := url.Values{"From": {to}, "Body": {"AYUDA"}}
			sig := s.Sign(inbound(app), form)
			form.Set("Body", "BORRAR DATOS")
			return s.Post(ctx, inbound(app), form, sig)
		}},
		{"added param", func() (*http.Response, error) {
			form := url.Values{"From": {to}, "Body": {"AYUDA"}}
			sig := s.Sign(inbound(app), form)
			form.Set("Coach", "1")
			return s.Post(ctx, inbound(app), form, sig)
		}},
		{"wrong token", func() (*http.Response, error) { return other.Inbound(ctx, inbound(app), to, from, "hi") }},
		{"missing header", func() (*http.Response, error) { return s.InboundUnsigned(ctx, inbound(app), to, from, "hi") }},
		{"forged header", func() (*http.Response, error) {
			return s.InboundWithSignature(ctx, inbound(app), to, from, "hi", "vOEb5UThFn24KEfnOFLQY2AE5FY=")
		}},
		{"different public URL", func() (*http.Response, error) { return s.Inbound(ctx, inbound(elsewhere), to, from, "hi") }},
		{"other path", func() (*http.Response, error) {
			form := url.Values{"Body": {"hi"}}
			return s.Post(ctx, inbound(app), form, s.Sign(app+"/sms/twilio/status", form))
		}},
		{"empty token", func() (*http.Response, error) {
			form := url.Values{"Body": {"hi"}}
			return s.Post(ctx, inbound(tokenless), form, s.Sign(inbound(tokenless), form))
		}},
		{"oversized body", func() (*http.Response, error) {
			form := url.Values{"Body": {strings.Repeat("a", 70<<10)}}
			return s.Post(ctx, inbound(app), form, s.Sign(inbound(app), form))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := read(t)(tt.send()); status != http.StatusForbidden {
				t.Fatalf("status %d %q, want 403", status, body)
			}
		})
	}
}

func TestTwiML(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>`
	tests := []struct{ reply, want string }{
		{"", head + "<Response></Response>"},
		{`<&>"'`, head + "<Response><Message>&lt;&amp;&gt;&#34;&#39;</Message></Response>"},
		{"Señora Ñusta, ¿mañana a las 9?", head + "<Response><Message>Señora Ñusta, ¿mañana a las 9?</Message></Response>"},
		{"a\nb", head + "<Response><Message>a&#xA;b</Message></Response>"},
	}
	for _, tt := range tests {
		if got := string(twilio.TwiML(tt.reply)); got != tt.want {
			t.Errorf("TwiML(%q) = %s, want %s", tt.reply, got, tt.want)
		}
	}
	if twilio.TwiMLContentType != "text/xml; charset=utf-8" {
		t.Fatal(twilio.TwiMLContentType)
	}
}
