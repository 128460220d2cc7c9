package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/demo"
)

// textAs plays a signed incoming message with the MessageSid of the
// test's choosing ("" leaves it out).
func (e *smsEnv) textAs(from, sid, body string) (int, string) {
	e.t.Helper()
	form := url.Values{"AccountSid": {e.fake.AccountSID()}, "From": {from}, "To": {"+15005550006"}, "Body": {body}, "NumMedia": {"0"}}
	if sid != "" {
		form.Set("MessageSid", sid)
	}
	return e.postRaw("/sms/twilio", form)
}

// postRaw posts a signed form and returns the status and the raw body.
func (e *smsEnv) postRaw(path string, form url.Values) (int, string) {
	e.t.Helper()
	resp, err := e.fake.Post(context.Background(), e.srv.URL+path, form, e.fake.Sign(e.cfg.PublicURL+path, form))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

// TestSMSIdentityIsPhoneAndSID: the same MessageSid from two phones is two
// messages, each with its own effect and answer.
func TestSMSIdentityIsPhoneAndSID(t *testing.T) {
	e := startSMS(t)
	e.dial("pr", demo.Spanish, "1", "1111", "1111")
	e.dial("pj", demo.Quechua, "1", "2222", "2222")
	const sid = "SM0123456789abcdef0123456789abcdef"
	_, juana := e.textAs(demo.Quechua, sid, "SALDO 2222")
	_, rosa := e.textAs(demo.Spanish, sid, "SALDO 9999")
	if !strings.Contains(rosa, "Clave incorrecta") {
		t.Errorf("Rosa's wrong PIN with Juana's MessageSid: %q (Juana got %q)", rosa, juana)
	}
	if strings.Contains(rosa, "120.50") || strings.Contains(rosa, "350.00") {
		t.Errorf("a wrong PIN showed a balance: %q", rosa)
	}
}

func TestSMSWithoutMessageSidIsABadRequest(t *testing.T) {
	e := startSMS(t)
	for _, c := range []struct{ name, sid, want string }{
		{"missing", "", "MessageSid: missing"},
		{"another key", "SM1:optout:x", "MessageSid: malformed"},
		{"space", "SM 1", "MessageSid: malformed"},
		{"too long", "SM" + strings.Repeat("a", 63), "MessageSid: malformed"},
	} {
		code, body := e.textAs(demo.Spanish, c.sid, "BAJA")
		if code != http.StatusBadRequest || !strings.HasPrefix(body, c.want) {
			t.Errorf("%s: %d %q, want 400 %q", c.name, code, body, c.want)
		}
	}
	if out, _ := e.app.Store.OptedOut(context.Background(), demo.Spanish); out {
		t.Error("a refused message opted the participant out")
	}
	if code, body := e.textAs("not a phone", "SM1", "BAJA"); code != http.StatusBadRequest || body != "From: not a phone number" {
		t.Errorf("a bad From: %d %q", code, body)
	}
}

// TestReplayedMessageChangesNothing: a signed message seen before (Twilio's
// retry, or a captured request posted again) gets its first answer and
// applies nothing again.
func TestReplayedMessageChangesNothing(t *testing.T) {
	e := startSMS(t)
	ctx := context.Background()
	const baja, alta = "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2"
	_, first := e.textAs(demo.Spanish, baja, "BAJA")
	e.textAs(demo.Spanish, alta, "ALTA")
	code, again := e.textAs(demo.Spanish, baja, "BAJA")
	if code != http.StatusOK || again != first {
		t.Errorf("the replayed BAJA: %d %q, want the first answer %q", code, again, first)
	}
	if out, _ := e.app.Store.OptedOut(ctx, demo.Spanish); out {
		t.Error("a replayed BAJA opted the participant out again after ALTA")
	}
	const cb = "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3"
	e.textAs(demo.Spanish, cb, "LLAMAME")
	e.clock.t = e.clock.t.AddDate(0, 0, 1) // a new day, when a new request would count
	e.textAs(demo.Spanish, cb, "LLAMAME")
	if n, _ := e.redis.Client.ZCard(ctx, e.redis.Prefix+"cb:"+demo.CoachOne).Result(); n != 1 {
		t.Errorf("a replayed LLAMAME made %d call-back requests, want 1", n)
	}
}
