package twiliotest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/willay-pe/willay/internal/twiliotest"
)

var sidRE = regexp.MustCompile(`^SM[0-9a-f]{32}$`)

// hc keeps enough idle connections for parallel benchmarks; the default
// of 2 per host would reconnect for most requests.
var hc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// create posts to the fake as any Twilio client would, without twilio-go,
// so these tests pin the wire format the fake speaks.
func create(t testing.TB, s *twiliotest.Server, user, pass string, form url.Values) (int, map[string]any) {
	t.Helper()
	status, raw := post(t, s, user, pass, form)
	var body map[string]any
	json.Unmarshal(raw, &body) // a non-JSON body leaves it nil
	return status, body
}

func post(t testing.TB, s *twiliotest.Server, user, pass string, form url.Values) (int, []byte) {
	u := s.URL() + "/2010-04-01/Accounts/" + s.AccountSID() + "/Messages.json"
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

func TestCreateAnswersLikeTwilio(t *testing.T) {
	s := twiliotest.New(t, twiliotest.Options{})
	form := url.Values{"To": {"+51987654321"}, "From": {"+15005550006"}, "Body": {"Hola ñandú"},
		"StatusCallback": {"https://willay.example/sms/twilio/status"}}
	status, m := create(t, s, s.AccountSID(), s.AuthToken(), form)
	if status != http.StatusCreated {
		t.Fatalf("status %d, body %v", status, m)
	}
	sid, _ := m["sid"].(string)
	want := map[string]any{"account_sid": s.AccountSID(), "to": "+51987654321", "from": "+15005550006",
		"body": "Hola ñandú", "status": "queued", "direction": "outbound-api", "num_segments": "1",
		"messaging_service_sid": nil, "error_code": nil, "api_version": "2010-04-01",
		"uri": "/2010-04-01/Accounts/" + s.AccountSID() + "/Messages/" + sid + ".json"}
	for k, v := range want {
		if got, present := m[k]; !present || got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	if !sidRE.MatchString(sid) {
		t.Errorf("sid %q", sid)
	}
	if _, err := time.Parse(time.RFC1123Z, m["date_created"].(string)); err != nil {
		t.Errorf("date_created: %v", err)
	}
	got := s.Messages()
	if len(got) != 1 || got[0].SID != sid || got[0].StatusCallback != form.Get("StatusCallback") || s.Count() != 1 {
		t.Fatalf("recorded %+v, count %d", got, s.Count())
	}
}

func TestCreateRefusesLikeTwilio(t *testing.T) {
	s := twiliotest.New(t, twiliotest.Options{})
	full := func(drop string) url.Values {
		f := url.Values{"To": {"+51987654321"}, "From": {"+15005550006"}, "Body": {"hi"}}
		f.Del(drop)
		return f
	}
	tests := []struct {
		name       string
		user, pass string
		form       url.Values
		status     int
		code       float64
	}{
		{"wrong token", s.AccountSID(), "nope", full(""), 401, 20003},
		{"wrong account", "AC00000000000000000000000000000000", s.AuthToken(), full(""), 401, 20003},
		{"no To", s.AccountSID(), s.AuthToken(), full("To"), 400, 21604},
		{"no Body", s.AccountSID(), s.AuthToken(), full("Body"), 400, 21602},
		{"no From", s.AccountSID(), s.AuthToken(), full("From"), 400, 21603},
		{"too long", s.AccountSID(), s.AuthToken(), url.Values{"To": {"+1"}, "From": {"+2"},
			"Body": {strings.Repeat("a", 1601)}}, 400, 21617},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m := create(t, s, tt.user, tt.pass, tt.form)
			if status != tt.status || m["code"] != tt.code || m["status"] != float64(tt.status) ||
				m["more_info"] == nil || m["message"] == "" {
				t.Fatalf("got %d %v", status, m)
			}
		})
	}
	if s.Count() != 0 {
		t.Fatalf("refused messages were recorded: %d", s.Count())
	}
}

func TestServiceSIDWithoutFrom(t *testing.T) {
	s := twiliotest.New(t, twiliotest.Options{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "tok"})
	if s.AccountSID() != "AC0123456789abcdef0123456789abcdef" || s.AuthToken() != "tok" {
		t.Fatal("options ignored")
	}
	status, m := create(t, s, "AC0123456789abcdef0123456789abcdef", "tok",
		url.Values{"To": {"+1"}, "MessagingServiceSid": {"MG1"}, "Body": {"x"}})
	if status != 201 || m["from"] != nil || m["messaging_service_sid"] != "MG1" {
		t.Fatalf("%d %v", status, m)
	}
}

func TestProgrammedFailures(t *testing.T) {
	s := twiliotest.New(t, twiliotest.Options{})
	send := func(to string) (int, float64) {
		st, m := create(t, s, s.AccountSID(), s.AuthToken(), url.Values{"To": {to}, "From": {"+2"}, "Body": {"b"}})
		code, _ := m["code"].(float64)
		return st, code
	}
	s.FailNext("+1", 2, 400, 21610, "Attempt to send to unsubscribed recipient")
	for i, want := range []int{400, 400, 201} {
		if st, _ := send("+1"); st != want {
			t.Fatalf("send %d: %d, want %d", i, st, want)
		}
	}
	if st, _ := send("+3"); st != 201 {
		t.Fatalf("other recipient failed: %d", st)
	}
	s.FailAll(503, 20503, "Service unavailable")
	s.FailNext("+1", -1, 429, 20429, "Too Many Requests")
	if st, code := send("+1"); st != 429 || code != 20429 {
		t.Fatalf("FailNext must win over FailAll: %d %v", st, code)
	}
	if st, code := send("+4"); st != 503 || code != 20503 {
		t.Fatalf("FailAll: %d %v", st, code)
	}
	s.Reset()
	s.FailNext("", 1, 502, 0, "Bad Gateway")
	if st, code := send("+5"); st != 502 || code != 0 {
		t.Fatalf("proxy failure: %d %v", st, code)
	}
	if st, _ := send("+1"); st != 201 {
		t.Fatalf("after Reset: %d", st)
	}
	if got := s.CountByBody()["b"]; got != s.Count() || got != 3 {
		t.Fatalf("CountByBody %d, Count %d", got, s.Count())
	}
}

func TestDelay(t *testing.T) {
	s := twiliotest.New(t, twiliotest.Options{})
	s.SetDelay(50 * time.Millisecond)
	start := time.Now()
	create(t, s, s.AccountSID(), s.AuthToken(), url.Values{"To": {"+1"}, "From": {"+2"}, "Body": {"b"}})
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("answered after %v", d)
	}
}

// TestSignMatchesTwilio checks Sign against the vector in twilio-go's own
// tests and against twilio-go's validator on a fresh case.
func TestSignMatchesTwilio(t *testing.T) {
	s := twiliotest.New(t, twiliotest.Options{AuthToken: "12345"})
	params := url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"}, "ReasonConferenceEnded": {"test"},
		"Reason": {"Participant"}}
	if got := s.Sign("https://mycompany.com/myapp.php?foo=1&bar=2", params); got != "vOEb5UThFn24KEfnOFLQY2AE5FY=" {
		t.Fatalf("Sign = %s", got)
	}
	v := client.NewRequestValidator("12345")
	u := "https://willay.example/sms/twilio/inbound"
	p := url.Values{"Body": {"Allin p'unchaw ñañay"}, "From": {"+51987654321"}}
	if !v.Validate(u, map[string]string{"Body": p.Get("Body"), "From": p.Get("From")}, s.Sign(u, p)) {
		t.Fatal("twilio-go rejects the fake's signature")
	}
}

// hook records what the fake posts to the app.
type hook struct {
	mu    sync.Mutex
	forms []url.Values
	sigs  []string
	url   string
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		h.mu.Lock()
		h.forms, h.sigs = append(h.forms, r.PostForm), append(h.sigs, r.Header.Get("X-Twilio-Signature"))
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/sms/twilio/status?x=1"
	return h
}

// got returns the i-th webhook under the lock: the race detector cannot
// see that the HTTP answer orders the handler's write before our read.
func (h *hook) got(i int) (url.Values, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.forms[i], h.sigs[i]
}

func checkSigned(t *testing.T, s *twiliotest.Server, u string, form url.Values, sig string) {
	t.Helper()
	params := map[string]string{}
	for k := range form {
		params[k] = form.Get(k)
	}
	v := client.NewRequestValidator(s.AuthToken())
	if !v.Validate(u, params, sig) {
		t.Fatalf("signature %q does not validate for %s %v", sig, u, form)
	}
}

func TestDeliver(t *testing.T) {
	s, h := twiliotest.New(t, twiliotest.Options{}), newHook(t)
	_, m := create(t, s, s.AccountSID(), s.AuthToken(), url.Values{"To": {"+1"}, "From": {"+2"}, "Body": {"b"},
		"StatusCallback": {h.url}})
	sid := m["sid"].(string)
	res, err := s.Deliver(context.Background(), sid, "undelivered", 30003)
	if err != nil || res.StatusCode != 200 {
		t.Fatal(res, err)
	}
	res.Body.Close()
	f, sig := h.got(0)
	want := map[string]string{"MessageSid": sid, "SmsSid": sid, "MessageStatus": "undelivered",
		"SmsStatus": "undelivered", "AccountSid": s.AccountSID(), "From": "+2", "To": "+1",
		"ApiVersion": "2010-04-01", "ErrorCode": "30003"}
	for k, v := range want {
		if f.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, f.Get(k), v)
		}
	}
	checkSigned(t, s, h.url, f, sig)
	if _, err := s.Deliver(context.Background(), "SMnope", "sent", 0); err == nil {
		t.Fatal("Deliver of an unknown SID succeeded")
	}
}

func TestInbound(t *testing.T) {
	s, h := twiliotest.New(t, twiliotest.Options{}), newHook(t)
	ctx := context.Background()
	for _, send := range []func() (*http.Response, error){
		func() (*http.Response, error) { return s.Inbound(ctx, h.url, "+51987654321", "+15005550006", "AYUDA") },
		func() (*http.Response, error) { return s.InboundUnsigned(ctx, h.url, "+5", "+6", "x") },
		func() (*http.Response, error) { return s.InboundWithSignature(ctx, h.url, "+5", "+6", "x", "forged") },
	} {
		res, err := send()
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	f, sig := h.got(0)
	for k, v := range map[string]string{"From": "+51987654321", "To": "+15005550006", "Body": "AYUDA",
		"NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01", "AccountSid": s.AccountSID()} {
		if f.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, f.Get(k), v)
		}
	}
	if !sidRE.MatchString(f.Get("MessageSid")) || f.Get("SmsSid") != f.Get("MessageSid") {
		t.Errorf("MessageSid %q SmsSid %q", f.Get("MessageSid"), f.Get("SmsSid"))
	}
	checkSigned(t, s, h.url, f, sig)
	if _, sig := h.got(1); sig != "" {
		t.Errorf("unsigned webhook carried %q", sig)
	}
	if _, sig := h.got(2); sig != "forged" {
		t.Errorf("forged webhook carried %q", sig)
	}
}

func TestNumSegments(t *testing.T) {
	s, h := twiliotest.New(t, twiliotest.Options{}), newHook(t)
	tests := []struct {
		body string
		want string
	}{
		{strings.Repeat("ñ", 160), "1"},
		{strings.Repeat("a", 161), "2"},
		{strings.Repeat("{", 80), "1"}, // extension characters take two septets
		{strings.Repeat("{", 81), "2"},
		{strings.Repeat("á", 70), "1"}, // not GSM-7: UCS-2
		{strings.Repeat("á", 71), "2"},
		{strings.Repeat("á", 135), "3"},
	}
	for i, tt := range tests {
		res, err := s.Inbound(context.Background(), h.url, "+1", "+2", tt.body)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if f, _ := h.got(i); f.Get("NumSegments") != tt.want {
			got := f.Get("NumSegments")
			t.Errorf("%q…(%d runes): %s segments, want %s", tt.body[:2], len([]rune(tt.body)), got, tt.want)
		}
	}
}

// BenchmarkCreate measures the fake alone, to show it is not what limits
// a load test.
func BenchmarkCreate(b *testing.B) {
	s := twiliotest.New(b, twiliotest.Options{})
	user, pass := s.AccountSID(), s.AuthToken()
	form := url.Values{"To": {"+51987654321"}, "From": {"+15005550006"}, "Body": {"Recordatorio"}}
	// Loopback round trips here are mostly waiting, so more requests in
	// flight than cores measure the fake rather than the latency.
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if st, _ := post(b, s, user, pass, form); st != 201 {
				b.Fatal(st)
			}
		}
	})
	b.ReportMetric(float64(s.Count())/b.Elapsed().Seconds(), "creates/s")
}
