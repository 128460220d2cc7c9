package twilio_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/twilio"
	"github.com/willay-pe/willay/internal/twiliotest"
)

const (
	from     = "+15005550006"
	to       = "+51987654321"
	callback = "https://willay.example.pe/sms/twilio/status"
)

// newClient points a real client at the fake; edit adjusts the config.
func newClient(t testing.TB, s *twiliotest.Server, edit func(*twilio.Config)) *twilio.Client {
	t.Helper()
	cfg := twilio.Config{AccountSID: s.AccountSID(), AuthToken: s.AuthToken(), From: from, APIURL: s.URL()}
	if edit != nil {
		edit(&cfg)
	}
	c, err := twilio.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSendReachesTwilio(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(*twilio.Config)
		from     string
		service  string
		callback string
	}{
		{"from number", nil, from, "", ""},
		{"with status callback", func(c *twilio.Config) { c.StatusCallback = callback }, from, "", callback},
		{"messaging service", func(c *twilio.Config) { c.From, c.MessagingServiceSID = "", "MG0123456789abcdef0123456789abcdef" },
			"", "MG0123456789abcdef0123456789abcdef", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := twiliotest.New(t, twiliotest.Options{})
			sid, err := newClient(t, s, tt.edit).Send(context.Background(), to, "Kunan p'unchaw: taller 3pm. ¿Vienes?")
			if err != nil {
				t.Fatal(err)
			}
			got := s.Messages()
			if len(got) != 1 {
				t.Fatalf("fake got %d messages", len(got))
			}
			m := got[0]
			if m.SID != sid || m.To != to || m.From != tt.from || m.ServiceSID != tt.service ||
				m.Body != "Kunan p'unchaw: taller 3pm. ¿Vienes?" || m.StatusCallback != tt.callback {
				t.Fatalf("sid %q, fake recorded %+v", sid, m)
			}
		})
	}
}

func TestSendVerdicts(t *testing.T) {
	tests := []struct {
		name       string
		fail       func(*twiliotest.Server)
		body       string
		edit       func(*twilio.Config)
		verdict    sms.Verdict
		status     int
		code       int
		msgContain string
	}{
		{"unsubscribed", failNext(400, 21610, "Attempt to send to unsubscribed recipient"), "hi", nil,
			sms.OptOut, 400, 21610, "unsubscribed"},
		{"invalid number", failNext(400, 21211, "Invalid 'To' Phone Number"), "hi", nil, sms.Invalid, 400, 21211, "Invalid"},
		{"not mobile", failNext(400, 21614, "'To' number is not a valid mobile number"), "hi", nil,
			sms.Invalid, 400, 21614, "mobile"},
		{"throttled", failNext(429, 20429, "Too Many Requests"), "hi", nil, sms.Retry, 429, 20429, "Too Many"},
		{"server error", failNext(500, 20500, "Internal Server Error"), "hi", nil, sms.Retry, 500, 20500, "Internal"},
		{"unavailable", failNext(503, 20503, "Service Unavailable"), "hi", nil, sms.Retry, 503, 20503, "Unavailable"},
		{"sender rate limit", failNext(400, 63018, "Rate limit exceeded for the sender"), "hi", nil,
			sms.Retry, 400, 63018, "Rate limit"},
		{"proxy 502 without JSON", failNext(502, 0, "502 Bad Gateway"), "hi", nil, sms.Retry, 502, 0, "Bad Gateway"},
		{"proxy 403 without JSON", failNext(403, 0, "Forbidden by WAF"), "hi", nil, sms.Fail, 403, 0, "WAF"},
		{"empty body", nil, "", nil, sms.Fail, 400, 21602, "Message body is required."},
		{"other refusal", failNext(400, 21408, "Permission to send an SMS has not been enabled"), "hi", nil,
			sms.Fail, 400, 21408, "Permission to send"},
		{"wrong token", nil, "hi", func(c *twilio.Config) { c.AuthToken = "0000wrong0000" },
			sms.Fail, 401, 20003, "Authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := twiliotest.New(t, twiliotest.Options{})
			if tt.fail != nil {
				tt.fail(s)
			}
			sid, err := newClient(t, s, tt.edit).Send(context.Background(), to, tt.body)
			v, pe := sms.VerdictOf(err)
			if err == nil || pe == nil {
				t.Fatalf("sid %q, err %v: want a *sms.ProviderError", sid, err)
			}
			if v != tt.verdict || pe.HTTPStatus != tt.status || pe.Code != tt.code ||
				!strings.Contains(pe.Message, tt.msgContain) {
				t.Fatalf("verdict %d, error %v; want verdict %d, HTTP %d, code %d, message with %q",
					v, pe, tt.verdict, tt.status, tt.code, tt.msgContain)
			}
			if s.Count() != 0 {
				t.Fatalf("fake accepted %d messages", s.Count())
			}
		})
	}
}

func failNext(status, code int, msg string) func(*twiliotest.Server) {
	return func(s *twiliotest.Server) { s.FailNext(to, 1, status, code, msg) }
}

// TestSendGivesUp covers the limits Send puts on a slow Twilio: its own
// timeout and the caller's context, before and during the request. Each
// must come back quickly as an error sms.VerdictOf retries.
func TestSendGivesUp(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		is   error
	}{
		{"timeout", func() (context.Context, context.CancelFunc) { return context.Background(), func() {} },
			context.DeadlineExceeded},
		{"cancelled before", func() (context.Context, context.CancelFunc) { return cancelled, func() {} },
			context.Canceled},
		{"cancelled during", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(30*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"caller deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 30*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := twiliotest.New(t, twiliotest.Options{})
			s.SetDelay(2 * time.Second)
			c := newClient(t, s, func(c *twilio.Config) { c.Timeout = 100 * time.Millisecond })
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			_, err := c.Send(ctx, to, "hi")
			if v, pe := sms.VerdictOf(err); err == nil || pe != nil || v != sms.Retry {
				t.Fatalf("err %v: want a non-provider error to retry", err)
			}
			if !errors.Is(err, tt.is) {
				t.Fatalf("err %v is not %v", err, tt.is)
			}
			if tt.name == "timeout" && !strings.Contains(err.Error(), "no answer within 100ms") {
				t.Fatalf("err %v does not name the timeout", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("gave up after %v", d)
			}
		})
	}
}

// TestAPIURL shows requests go to APIURL whatever twilio-go names: host,
// scheme and a path prefix (a gateway in front of a Twilio-compatible
// API), with TWILIO_EDGE in the environment unable to redirect them.
func TestAPIURL(t *testing.T) {
	t.Setenv("TWILIO_EDGE", "sydney")
	s := twiliotest.New(t, twiliotest.Options{})
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("fake at %s", s.URL())
	}
	target, _ := url.Parse(s.URL())
	var seen atomic.Value
	proxy := httputil.NewSingleHostReverseProxy(target)
	gw := httptest.NewServer(http.StripPrefix("/sms-gw", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.URL.Path)
		proxy.ServeHTTP(w, r)
	})))
	t.Cleanup(gw.Close)
	for _, api := range []string{s.URL(), s.URL() + "/", gw.URL + "/sms-gw/"} {
		sid, err := newClient(t, s, func(c *twilio.Config) { c.APIURL = api }).Send(context.Background(), to, "hi")
		if err != nil || !strings.HasPrefix(sid, "SM") {
			t.Fatalf("APIURL %s: sid %q, err %v", api, sid, err)
		}
	}
	if want := "/2010-04-01/Accounts/" + s.AccountSID() + "/Messages.json"; seen.Load() != want || s.Count() != 3 {
		t.Fatalf("gateway saw %q, fake counted %d", seen, s.Count())
	}
}

func TestNewChecksConfig(t *testing.T) {
	ok := twilio.Config{AccountSID: twiliotest.DefaultAccountSID, AuthToken: twiliotest.DefaultAuthToken, From: from}
	tests := []struct {
		name string
		edit func(*twilio.Config)
		ok   bool
	}{
		{"defaults", func(*twilio.Config) {}, true},
		{"service only", func(c *twilio.Config) { c.From, c.MessagingServiceSID = "", "MG1" }, true},
		{"callback", func(c *twilio.Config) { c.StatusCallback = callback }, true},
		{"no SID", func(c *twilio.Config) { c.AccountSID = "" }, false},
		{"SID with dash", func(c *twilio.Config) { c.AccountSID = "AC-1" }, false},
		{"no token", func(c *twilio.Config) { c.AuthToken = "" }, false},
		{"token with space", func(c *twilio.Config) { c.AuthToken = "abc def" }, false},
		{"no sender", func(c *twilio.Config) { c.From = "" }, false},
		{"ftp API", func(c *twilio.Config) { c.APIURL = "ftp://api.twilio.com" }, false},
		{"relative API", func(c *twilio.Config) { c.APIURL = "api.twilio.com" }, false},
		{"relative callback", func(c *twilio.Config) { c.StatusCallback = "/sms/twilio/status" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			if _, err := twilio.New(cfg); (err == nil) != tt.ok {
				t.Fatalf("New: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// BenchmarkSend measures sends through twilio-go and the fake over
// loopback, with as many sends in flight as a small worker pool.
func BenchmarkSend(b *testing.B) {
	s := twiliotest.New(b, twiliotest.Options{})
	c := newClient(b, s, func(c *twilio.Config) { c.StatusCallback = callback })
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Send(context.Background(), to, "Recordatorio: taller mañana 9am"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// TestErrorsNameTheConfiguredAPI: a transport error names the host sends
// go to (TWILIO_API_URL), never api.twilio.com, which twilio-go addresses.
func TestErrorsNameTheConfiguredAPI(t *testing.T) {
	ln := httptest.NewServer(http.NotFoundHandler())
	api := ln.URL + "/sms-gw"
	ln.Close() // nothing listens there any more: every send fails to connect
	c, err := twilio.New(twilio.Config{AccountSID: "AC1", AuthToken: "tok", From: from, APIURL: api})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(context.Background(), to, "hi")
	if err == nil {
		t.Fatal("a send to a closed port succeeded")
	}
	if msg := err.Error(); strings.Contains(msg, "api.twilio.com") || !strings.Contains(msg, api+"/2010-04-01/Accounts/AC1/Messages.json") {
		t.Errorf("error %q should name %s, where the send went", msg, api)
	}
	if v, _ := sms.VerdictOf(err); v != sms.Retry {
		t.Errorf("a refused connection is retried, got verdict %v", v)
	}
}
