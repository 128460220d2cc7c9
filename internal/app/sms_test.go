package app

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/keyword"
	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/testredis"
	"github.com/willay-pe/willay/internal/twiliotest"
)

// smsEnv is Willay with Twilio set to a fake Twilio, reachable at a
// loopback URL that is also its WILLAY_PUBLIC_URL, so signed webhooks and
// status callbacks come back to it.
type smsEnv struct {
	*testEnv
	fake *twiliotest.Server
	seq  int
}

func startSMS(t *testing.T) *smsEnv { return startSMSWith(t, 10) }

// startSMSWith sets the loop guard's messages a minute.
func startSMSWith(t *testing.T, loopLimit int) *smsEnv {
	t.Helper()
	r := testredis.New(t)
	return startSMSOn(t, r, testConfig(t, r, "../../flows", "../../locales"), loopLimit)
}

// startSMSOn is startSMSWith on a configuration of the test's own (Redis
// behind a proxy, say).
func startSMSOn(t *testing.T, r *testredis.Redis, cfg config.Config, loopLimit int) *smsEnv {
	t.Helper()
	r.Queue(t)
	fake := twiliotest.New(t, twiliotest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "http://" + ln.Addr().String()
	cfg.SMS.LoopLimit = loopLimit
	cfg.Twilio.AccountSID, cfg.Twilio.AuthToken, cfg.Twilio.From, cfg.Twilio.APIURL =
		fake.AccountSID(), fake.AuthToken(), "+15005550006", fake.URL()
	e := &testEnv{t: t, redis: r, cfg: cfg, clock: &clock{t: testNow}, logs: &syncBuffer{}}
	a, err := New(context.Background(), cfg, slog.New(slog.NewJSONHandler(e.logs, nil)), e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.app = a
	e.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.Handler}}
	e.srv.Start()
	t.Cleanup(func() { e.srv.Close(); a.Close() })
	return &smsEnv{testEnv: e, fake: fake}
}

// text plays a person texting body to Willay, signed by Twilio; it returns
// the HTTP status and the text of the TwiML reply.
func (e *smsEnv) text(from, body string) (int, string) {
	e.t.Helper()
	e.seq++
	form := url.Values{"MessageSid": {fmt.Sprintf("SMin%030d", e.seq)}, "AccountSid": {e.fake.AccountSID()},
		"From": {from}, "To": {"+15005550006"}, "Body": {body}, "NumMedia": {"0"}}
	return e.post("/sms/twilio", form, e.fake.Sign(e.cfg.PublicURL+"/sms/twilio", form))
}

func (e *smsEnv) post(path string, form url.Values, sig string) (int, string) {
	e.t.Helper()
	resp, err := e.fake.Post(context.Background(), e.srv.URL+path, form, sig)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var tw struct {
		Message string `xml:"Message"`
	}
	_ = xml.Unmarshal(b, &tw)
	return resp.StatusCode, tw.Message
}

// keywordsOf lists every keyword of a command in a language, as shipped.
func (e *smsEnv) keywordsOf(command, lang string) []string {
	return e.app.Library.Current().Keywords.Keywords(command, lang)
}

func TestEveryKeywordInEveryLanguage(t *testing.T) {
	e := startSMSWith(t, 1000)
	people := []struct{ lang, phone, visits, payments, help string }{
		{"es", demo.Spanish, "Proximas visitas", "Proximos pagos", "Willay: envie"},
		{"qu", demo.Quechua, "Hamuq watukuykuna", "Hamuq qullqi chaskiykuna", "Willay: "},
		{"shp", demo.Shipibo, "Merati itan axeti", "Koriki biti netebo", "Willay: "},
	}
	for _, p := range people {
		for _, c := range []struct{ command, want string }{
			{keyword.Visits, p.visits}, {keyword.Payments, p.payments}, {keyword.Help, p.help},
			{keyword.Balance, e.notice(p.lang, "sms.pin.unset")}, {keyword.Language, e.notice(p.lang, "sms.language")},
		} {
			for _, kw := range e.keywordsOf(c.command, p.lang) {
				code, got := e.text(p.phone, strings.ToLower(kw)+" ")
				if code != 200 || !strings.HasPrefix(got, c.want) {
					t.Errorf("%s %q: %d %q, want %q…", p.lang, kw, code, got, c.want)
				}
			}
		}
		for i, kw := range e.keywordsOf(keyword.Callback, p.lang) {
			want := e.notice(p.lang, map[bool]string{true: "callback.done", false: "callback.already"}[i == 0])
			if _, got := e.text(p.phone, kw); !strings.HasPrefix(got, want[:12]) {
				t.Errorf("%s %q: %q, want %q", p.lang, kw, got, want)
			}
		}
		for _, c := range []struct{ command, reply string }{{keyword.Stop, "sms.stop"}, {keyword.Start, "sms.start"}} {
			for _, kw := range e.keywordsOf(c.command, p.lang) {
				if _, got := e.text(p.phone, kw); got != e.notice(p.lang, c.reply) {
					t.Errorf("%s %q: %q", p.lang, kw, got)
				}
				if out, _ := e.app.Store.OptedOut(context.Background(), p.phone); out != (c.command == keyword.Stop) {
					t.Errorf("%s %q: opted out %v", p.lang, kw, out)
				}
				e.text(p.phone, map[string]string{keyword.Stop: "ALTA", keyword.Start: "BAJA"}[c.command]) // back to where it was
				e.text(p.phone, map[string]string{keyword.Stop: "BAJA", keyword.Start: "ALTA"}[c.command])
			}
		}
	}
}

// notice is a text as an SMS shows it in lang.
func (e *smsEnv) notice(lang, id string) string {
	phone := map[string]string{"es": demo.Spanish, "qu": demo.Quechua, "shp": demo.Shipibo}[lang]
	return e.app.Engine.Notice(context.Background(), phone, id)
}

func TestBalanceBySMSSharesTheUSSDLock(t *testing.T) {
	e := startSMS(t)
	if _, got := e.text(demo.Spanish, "SALDO"); !strings.HasPrefix(got, "Primero cree su clave") {
		t.Errorf("no PIN yet: %q", got)
	}
	e.dial("pin", demo.Spanish, "1", "2468", "2468")
	for _, c := range []struct{ body, want string }{
		{"saldo", "Para ver su saldo envie SALDO"},
		{"Saldo: 2468", "Sus ahorros: S/ 350.00 al 20/11."},
		{"SALDO 1111", "Clave incorrecta. Le quedan 2 intentos."},
		{"SALDO 2222", "Clave incorrecta. Le queda 1 intento."},
	} {
		if _, got := e.text(demo.Spanish, c.body); !strings.HasPrefix(got, c.want) {
			t.Errorf("%q: %q, want %q", c.body, got, c.want)
		}
	}
	// The third wrong PIN comes by USSD: one lock for both.
	if got := e.dial("wrong", demo.Spanish, "1", "3333")[2]; !strings.Contains(got, "bloqueados") {
		t.Errorf("USSD after two wrong PINs by SMS: %q", got)
	}
	if _, got := e.text(demo.Spanish, "SALDO 2468"); !strings.Contains(got, "bloqueados") {
		t.Errorf("SMS during the lock: %q", got)
	}
}

func TestCallbackLanguageAndOptOutBySMS(t *testing.T) {
	e := startSMS(t)
	ctx := context.Background()
	if _, got := e.text(demo.Shipibo, "kenawe"); !strings.HasPrefix(got, e.notice("shp", "callback.done")[:10]) {
		t.Errorf("callback in Shipibo: %q", got)
	}
	if _, got := e.text(demo.Shipibo, "LLAMAME"); !strings.HasPrefix(got, e.notice("shp", "callback.already")[:10]) {
		t.Errorf("a second callback the same day: %q", got)
	}
	if alerts, _ := e.app.Store.Messages(ctx, demo.CoachOne, "", 10); len(alerts) != 1 {
		t.Errorf("the coach gets one alert, got %d", len(alerts))
	}
	if _, got := e.text(demo.Spanish, "idioma runasimi"); !strings.Contains(got, "Runasimi") {
		t.Errorf("IDIOMA QU answers in Quechua: %q", got)
	}
	if got := e.dial("after", demo.Spanish)[0]; !strings.HasPrefix(got, "CON Allillanchu Rosa") {
		t.Errorf("the next USSD session is in Quechua: %q", got)
	}
	if _, got := e.text(demo.Quechua, "BAJA"); !strings.HasPrefix(got, "Willay: allinmi, mana") {
		t.Errorf("BAJA confirmed in Quechua: %q", got)
	}
	if out, _ := e.app.Store.OptedOut(ctx, demo.Quechua); !out {
		t.Error("BAJA must opt out")
	}
	e.text(demo.Quechua, "start")
	if out, _ := e.app.Store.OptedOut(ctx, demo.Quechua); out {
		t.Error("START must opt back in")
	}
	if _, got := e.text(demo.Stranger, "VISITAS"); !strings.HasPrefix(got, "Willay: su numero no esta registrado") {
		t.Errorf("an unregistered number: %q", got)
	}
}

func TestForgedWebhooksChangeNothing(t *testing.T) {
	e := startSMS(t)
	form := url.Values{"MessageSid": {"SMforged"}, "AccountSid": {e.fake.AccountSID()}, "From": {demo.Spanish}, "Body": {"BAJA"}}
	for _, sig := range []string{"", "bm90IGEgc2lnbmF0dXJl", e.fake.Sign("https://elsewhere.example/sms/twilio", form)} {
		if code, _ := e.post("/sms/twilio", form, sig); code != http.StatusForbidden {
			t.Errorf("signature %q: %d, want 403", sig, code)
		}
	}
	if out, _ := e.app.Store.OptedOut(context.Background(), demo.Spanish); out {
		t.Error("a forged BAJA opted the participant out")
	}
	status := url.Values{"MessageSid": {"SMx"}, "MessageStatus": {"delivered"}}
	if code, _ := e.post("/sms/twilio/status", status, "forged"); code != http.StatusForbidden {
		t.Errorf("forged status callback: %d", code)
	}
}

func TestLoopGuard(t *testing.T) {
	e := startSMS(t)
	for i := range 10 {
		if _, got := e.text(demo.Spanish, "hola"); !strings.HasPrefix(got, "Willay: envie") {
			t.Fatalf("message %d: %q", i+1, got)
		}
	}
	if _, got := e.text(demo.Spanish, "hola"); !strings.HasPrefix(got, "Willay: recibimos demasiados mensajes") {
		t.Errorf("the 11th message in a minute is answered once with a warning: %q", got)
	}
	if code, got := e.text(demo.Spanish, "hola"); code != 200 || got != "" {
		t.Errorf("then the number is ignored: %d %q", code, got)
	}
	if _, got := e.text(demo.Quechua, "ayuda"); got == "" {
		t.Error("other numbers are still answered")
	}
}

func TestStatusCallbacksTrackDelivery(t *testing.T) {
	e := startSMS(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.app.SMS.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e.dial("v", demo.Spanish, "3", "1") // payment dates by SMS
	var m *sms.Message
	for i := 0; i < 500 && (m == nil || m.SID == ""); i++ {
		msgs, _ := e.app.Store.Messages(context.Background(), demo.Spanish, "", 1)
		if len(msgs) == 1 {
			m = msgs[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if m == nil || m.SID == "" || e.fake.Count() != 1 {
		t.Fatalf("the SMS never reached Twilio: %+v (fake has %d)", m, e.fake.Count())
	}
	if got := e.fake.Messages()[0]; got.To != demo.Spanish || !strings.HasPrefix(got.Body, "Proximos pagos:") ||
		got.StatusCallback != e.cfg.PublicURL+"/sms/twilio/status" {
		t.Errorf("what Twilio got: %+v", got)
	}
	for _, st := range []string{"sent", "delivered", "sent"} { // the late "sent" must not move it back
		resp, err := e.fake.Deliver(context.Background(), m.SID, st, 0)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("callback %s: %v %v", st, resp, err)
		}
		resp.Body.Close()
	}
	got, _ := e.app.Store.Message(context.Background(), m.ID)
	if got.Status() != sms.Delivered {
		var steps []string
		for _, s := range got.History {
			steps = append(steps, string(s.Status))
		}
		t.Errorf("status %s after sent, delivered, late sent: %v", got.Status(), steps)
	}
	unknown := url.Values{"MessageSid": {"SMunknown"}, "MessageStatus": {"delivered"}, "AccountSid": {e.fake.AccountSID()}}
	if code, _ := e.post("/sms/twilio/status", unknown, e.fake.Sign(e.cfg.PublicURL+"/sms/twilio/status", unknown)); code != 200 {
		t.Errorf("a callback for an unknown message is answered 200, got %d", code)
	}
	if !strings.Contains(e.logs.String(), "status callback before its message's SID was recorded: kept until it is") {
		t.Error("and logged")
	}
}
