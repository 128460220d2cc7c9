package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/testredis"
)

// setPIN gives the demo participant a PIN in its own session.
func (e *testEnv) setPIN(phone, pin string) {
	e.t.Helper()
	r := e.dial("set-pin-"+strings.TrimPrefix(phone, "+"), phone, "1", pin, pin)
	if !strings.Contains(r[3], "S/") {
		e.t.Fatalf("setting a PIN did not show the balance: %q", r[3])
	}
}

func (e *testEnv) get(key string) string {
	v, _ := e.redis.Client.Get(context.Background(), e.redis.Prefix+key).Result()
	return v
}

func TestRepeatedHopHasOneEffect(t *testing.T) {
	e := start(t)
	e.setPIN(demo.Spanish, "1234")
	e.dial("s", demo.Spanish, "1")
	first := e.hop("s", demo.Spanish, "1", "0000")
	again := e.hop("s", demo.Spanish, "1", "0000")
	if first != again {
		t.Errorf("a repeated hop got another reply:\n%q\n%q", first, again)
	}
	if got := e.get("pinfail:" + demo.Spanish); got != "1" {
		t.Errorf("wrong PINs counted %q times, want 1", got)
	}
	if !strings.Contains(first, "2 intentos") {
		t.Errorf("want 2 tries left, got %q", first)
	}
}

func TestConcurrentRepeatedHopsHaveOneEffect(t *testing.T) {
	e := start(t)
	e.setPIN(demo.Spanish, "1234")
	e.dial("s", demo.Spanish, "1")
	var wg sync.WaitGroup
	replies := make([]string, 8)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = e.hop("s", demo.Spanish, "1", "9999")
		}()
	}
	wg.Wait()
	for _, r := range replies[1:] {
		if r != replies[0] {
			t.Errorf("concurrent duplicates got different replies: %q vs %q", r, replies[0])
		}
	}
	if got := e.get("pinfail:" + demo.Spanish); got != "1" {
		t.Errorf("8 concurrent copies of one wrong PIN counted %q times, want 1", got)
	}
}

func TestSessionIDOfAnotherPhoneIsAnotherSession(t *testing.T) {
	e := start(t)
	e.dial("shared", demo.Spanish, "3")
	if got := e.hop("shared", demo.Quechua); !strings.Contains(got, "Juana") || strings.Contains(got, "S/") {
		t.Errorf("a session ID reused by another phone must not reach the first phone's session: %q", got)
	}
}

func TestSessionKeepsNoPIN(t *testing.T) {
	e := start(t)
	e.dial("pin", demo.Spanish, "1", "4826", "4826")
	js := e.get("sess:" + demo.Spanish + ":pin")
	if js == "" || strings.Contains(js, "4826") {
		t.Errorf("the stored session must exist and hold no PIN typed: %s", js)
	}
}

func TestFirstHopTwiceOneSession(t *testing.T) {
	e := start(t)
	a, b := e.hop("s", demo.Quechua), e.hop("s", demo.Quechua)
	if a != b || !strings.HasPrefix(a, "CON ") {
		t.Errorf("first hop twice: %q then %q", a, b)
	}
	if n := len(e.redis.Keys(t)); n == 0 {
		t.Error("no keys written")
	}
}

func TestCallbackOncePerDay(t *testing.T) {
	e := start(t)
	e.dial("a", demo.Spanish, "4")
	e.hop("a", demo.Spanish, "4") // the gateway repeats the hop
	second := e.dial("b", demo.Spanish, "4")
	if !strings.Contains(second[1], "Ya pidio hoy") {
		t.Errorf("a second request the same day should say it was already made: %q", second[1])
	}
	n, err := e.redis.Client.ZCard(context.Background(), e.redis.Prefix+"cb:"+demo.CoachOne).Result()
	if err != nil || n != 1 {
		t.Errorf("coach has %d call-back requests (%v), want 1", n, err)
	}
	e.clock.t = e.clock.t.Add(24 * time.Hour)
	if r := e.dial("c", demo.Spanish, "4"); !strings.Contains(r[1], "Listo") {
		t.Errorf("the next day a new request is taken: %q", r[1])
	}
}

func TestRestartMidSessionContinues(t *testing.T) {
	e := start(t)
	e.dial("s", demo.Spanish, "2")
	e.boot() // a new process over the same Redis
	r := e.hop("s", demo.Spanish, "2", "98")
	if !strings.Contains(r, "03/12 15:00 Reunion") {
		t.Errorf("after a restart, 98 should show the second page of visits: %q", r)
	}
}

// copyTree copies the shipped flows and locales, so a test can edit them.
func copyTree(t *testing.T) (flows, locales string) {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"flows", "locales"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join("..", "..", sub))); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "flows"), filepath.Join(dir, "locales")
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSessionFinishesOnItsFlowsVersion(t *testing.T) {
	r := testredis.New(t)
	flows, locales := copyTree(t)
	e := startOn(t, r, testConfig(t, r, flows, locales))
	e.dial("old", demo.Spanish)

	edit(t, filepath.Join(locales, "es.yaml"), "other: Mis ahorros", "other: Mi alcancia")
	if err := e.app.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.hop("old", demo.Spanish, "00"); !strings.Contains(got, "1 Mis ahorros") {
		t.Errorf("a running session must keep its version's texts: %q", got)
	}
	if got := e.dial("new", demo.Spanish)[0]; !strings.Contains(got, "1 Mi alcancia") {
		t.Errorf("a new session must get the reloaded texts: %q", got)
	}

	e.boot() // restarted with the new files: the old version comes from its snapshot
	if got := e.hop("old", demo.Spanish, "00", "00"); !strings.Contains(got, "1 Mis ahorros") {
		t.Errorf("after a restart, a running session must keep its version: %q", got)
	}

	edit(t, filepath.Join(flows, "participant.yaml"), "ok: savings.balance\n      mismatch", "ok: savings_blance\n      mismatch")
	err := e.app.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), `next "savings_blance" does not exist`) {
		t.Errorf("reloading broken flows must be refused with the problem: %v", err)
	}
	if got := e.dial("after-bad-reload", demo.Spanish)[0]; !strings.Contains(got, "1 Mi alcancia") {
		t.Errorf("a refused reload must keep the running version: %q", got)
	}
}

func TestLostSessionIsRebuiltFromThePath(t *testing.T) {
	e := start(t)
	lose := func(session, phone string) {
		if n, err := e.redis.Client.Del(context.Background(), e.redis.Prefix+"sess:"+phone+":"+session).Result(); err != nil || n != 1 {
			t.Fatalf("lose session %s: %d %v", session, n, err)
		}
	}
	e.dial("s", demo.Spanish, "2", "98")
	lose("s", demo.Spanish)
	if got := e.hop("s", demo.Spanish, "2", "98", "0"); !strings.Contains(got, "Proximas visitas") {
		t.Errorf("replaying 2*98 then 0 should show the first page of visits: %q", got)
	}

	e.setPIN(demo.Quechua, "1234")
	e.dial("p", demo.Quechua, "1")
	lose("p", demo.Quechua)
	e.hop("p", demo.Quechua, "1", "0000")
	if got := e.get("pinfail:" + demo.Quechua); got != "1" {
		t.Errorf("the input typed after the loss is applied once: %q failures", got)
	}

	e.dial("c", demo.Spanish, "5")
	lose("c", demo.Spanish)
	got := e.hop("c", demo.Spanish, "4", "00", "2")
	if !strings.Contains(got, "1 Mis ahorros") {
		t.Errorf("replay must stop before the call-back request and show the menu: %q", got)
	}
	if n, _ := e.redis.Client.ZCard(context.Background(), e.redis.Prefix+"cb:"+demo.CoachOne).Result(); n != 0 {
		t.Errorf("a replay made %d call-back requests, want none", n)
	}
}

func TestRedisDownGivesBusyThenRecovers(t *testing.T) {
	r := testredis.New(t)
	cfg, proxy := configBehindProxy(t, r)
	e := startOn(t, r, cfg)
	e.dial("before", demo.Spanish)

	for _, fail := range []struct {
		name string
		do   func()
	}{{"refused", proxy.Cut}, {"hanging", proxy.Stall}} {
		fail.do()
		code, body := e.postWithin(2*time.Second, url.Values{"sessionId": {"before"}, "serviceCode": {"*500#"},
			"phoneNumber": {demo.Spanish}, "text": {"3"}})
		if code != http.StatusOK || !strings.HasPrefix(body, "END Willay esta ocupado") {
			t.Errorf("redis %s: want 200 and the busy END screen, got %d %q", fail.name, code, body)
		}
		if hc := e.status("/healthz"); hc != http.StatusServiceUnavailable {
			t.Errorf("redis %s: /healthz %d, want 503", fail.name, hc)
		}
	}
	proxy.Restore()
	if got := e.hop("after", demo.Spanish); !strings.Contains(got, "1 Mis ahorros") {
		t.Errorf("the service must recover by itself when Redis returns: %q", got)
	}
	if hc := e.status("/healthz"); hc != http.StatusOK {
		t.Errorf("/healthz %d after Redis returned", hc)
	}
}

// postWithin is post with a client that gives up after d: the gateway's
// patience, not a benchmark.
func (e *testEnv) postWithin(d time.Duration, form url.Values) (int, string) {
	e.t.Helper()
	resp, err := (&http.Client{Timeout: d}).PostForm(e.srv.URL+"/ussd/africastalking", form)
	if err != nil {
		e.t.Fatalf("no answer within %s: %v", d, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *testEnv) status(path string) int {
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestBadRequests(t *testing.T) {
	e := start(t)
	ok := url.Values{"sessionId": {"bad-1"}, "serviceCode": {"*500#"}, "phoneNumber": {demo.Spanish}, "text": {""}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range ok {
			f[kk] = vv
		}
		if v == "\x00delete" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	for _, c := range []struct {
		name   string
		form   url.Values
		status int
		prefix string
	}{
		{"no session id", with("sessionId", "\x00delete"), 400, "END Solicitud no valida (sessionId)"},
		{"no phone", with("phoneNumber", "\x00delete"), 400, "END Solicitud no valida (phoneNumber)"},
		{"phone with letters", with("phoneNumber", "+51abc"), 400, "END Solicitud no valida (phoneNumber)"},
		{"no service code", with("serviceCode", "\x00delete"), 400, "END Solicitud no valida (serviceCode)"},
		{"session id injection", with("sessionId", "a b;DEL *"), 400, "END Solicitud no valida (sessionId)"},
		{"absurd input", with("text", strings.Repeat("9", 5000)), 400, "END Solicitud no valida (text)"},
		{"too many inputs", with("text", strings.Repeat("1*", 70)), 400, "END Solicitud no valida (text)"},
		{"sql in text", with("text", "1'; DROP TABLE x;--"), 200, "CON Opcion no valida."},
		{"script in text", with("text", "<script>alert(1)</script>"), 200, "CON Opcion no valida."},
		{"lua in text", with("text", "redis.call('FLUSHALL')"), 200, "CON Opcion no valida."},
		{"letters where digits go", with("text", "uno"), 200, "CON Opcion no valida."},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.form.Set("sessionId", c.form.Get("sessionId")+"-"+strings.ReplaceAll(c.name, " ", "-"))
			if c.name == "no session id" || c.name == "session id injection" {
				c.form = with("sessionId", "\x00delete")
				if c.name == "session id injection" {
					c.form.Set("sessionId", "a b;DEL *")
				}
			}
			code, body := e.post(c.form)
			if code != c.status || !strings.HasPrefix(body, c.prefix) {
				t.Errorf("got %d %q, want %d %q…", code, body, c.status, c.prefix)
			}
		})
	}
	resp, err := http.Post(e.srv.URL+"/ussd/africastalking", "application/x-www-form-urlencoded", strings.NewReader(strings.Repeat("x", 20000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("a 20 KB body: %d, want 400", resp.StatusCode)
	}
}

func TestMetricsAndMaskedLogs(t *testing.T) {
	e := start(t)
	if _, err := e.app.Reminders.Plan(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	e.dial("m", demo.Spanish, "3")
	e.post(url.Values{"sessionId": {"x"}, "serviceCode": {"*500#"}, "phoneNumber": {"nope"}})
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`willay_ussd_hops_total{gateway="africastalking",lang="es",node="participant/payments"} 1`,
		`willay_ussd_hop_seconds_count{gateway="africastalking"} 2`,
		`willay_ussd_bad_requests_total{field="phoneNumber",gateway="africastalking"} 1`,
		`willay_redis_errors_total 0`,
		`willay_backlog{what="reminders_due"} 6`,
		`willay_backlog{what="broadcasts_due"} 0`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"phone":"+51******001"`) {
		t.Errorf("hops should be logged with masked phones:\n%s", logs)
	}
	if strings.Contains(logs, "900000001") {
		t.Errorf("a full phone number reached the logs:\n%s", logs)
	}
}

func TestUSSDQueuesSMS(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	e.dial("v", demo.Quechua, "2", "1")
	e.hop("v", demo.Quechua, "2", "1") // repeated by the gateway
	msgs, err := e.app.Store.Messages(ctx, demo.Quechua, "", 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("want one queued SMS to the participant, got %d (%v)", len(msgs), err)
	}
	if m := msgs[0]; m.Kind != "reply" || m.Lang != "qu" || !strings.HasPrefix(m.Text, "Hamuq watukuykuna") || m.Status() != "queued" {
		t.Errorf("the SMS: %+v", m)
	}
	e.dial("cb", demo.Spanish, "4")
	alerts, _ := e.app.Store.Messages(ctx, demo.CoachOne, "", 10)
	if len(alerts) != 1 || !strings.Contains(alerts[0].Text, "Rosa Quispe Huaman (Santa Rosa de Pachaclla) waqyanaykita munan: 900000001") || alerts[0].Lang != "qu" {
		t.Errorf("the coach's alert (in the coach's Quechua): %+v", *alerts[0])
	}
}
