package outbound_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/testredis"
	"github.com/willay-pe/willay/internal/twilio"
	"github.com/willay-pe/willay/internal/twiliotest"
)

// twilioEnv is a pipeline sending to a fake Twilio.
func twilioEnv(t *testing.T, fake *twiliotest.Server, rate int) *env {
	tw, err := twilio.New(twilio.Config{AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(), From: "+15005550006",
		APIURL: fake.URL(), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, func(*testredis.Redis) sms.Sender { return tw }, rate)
}

func TestTwilioOutcomes(t *testing.T) {
	for _, c := range []struct {
		name         string
		httpStatus   int
		code         int
		times        int // failures before success (-1: always)
		want         sms.Status
		attempts     int // creates the fake saw
		optOut       bool
		invalid      bool
		lastError    string
		historyCodes string
	}{
		{name: "sent", want: sms.Sent, attempts: 1},
		{name: "unsubscribed 21610", httpStatus: 400, code: 21610, times: -1, want: sms.Failed, attempts: 1, optOut: true},
		{name: "invalid 21211", httpStatus: 400, code: 21211, times: -1, want: sms.Failed, attempts: 1, invalid: true},
		{name: "not mobile 21614", httpStatus: 400, code: 21614, times: -1, want: sms.Failed, attempts: 1, invalid: true},
		{name: "throttled 429 then sent", httpStatus: 429, code: 20429, times: 2, want: sms.Sent, attempts: 3},
		{name: "5xx then sent", httpStatus: 503, code: 0, times: 1, want: sms.Sent, attempts: 2},
		{name: "63018 until the limit", httpStatus: 400, code: 63018, times: -1, want: sms.Failed, attempts: 3},
		{name: "other error fails at once", httpStatus: 400, code: 21408, times: -1, want: sms.Failed, attempts: 1, lastError: "Permission to send an SMS has not been enabled"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake := twiliotest.New(t, twiliotest.Options{})
			e := twilioEnv(t, fake, 0)
			to := "+51900000001"
			if c.code != 0 || c.httpStatus != 0 {
				msg := c.lastError
				if msg == "" {
					msg = fmt.Sprintf("error %d", c.code)
				}
				fake.FailNext(to, c.times, c.httpStatus, c.code, msg)
			}
			if _, err := e.p.Send(context.Background(), outbound.Request{ID: "m", To: to, Lang: "es", Text: "Hola", Kind: "oneoff"}); err != nil {
				t.Fatal(err)
			}
			e.run()
			m := e.waitFor("m", c.want)
			if c.want == sms.Sent && fake.Count() != 1 {
				t.Errorf("the fake accepted %d messages, want 1", fake.Count())
			}
			ctx := context.Background()
			if out, _ := e.store.OptedOut(ctx, to); out != c.optOut {
				t.Errorf("opted out %v, want %v", out, c.optOut)
			}
			inv, _ := e.r.Client.Get(ctx, e.r.Prefix+"invalid:"+to).Result()
			if (inv != "") != c.invalid {
				t.Errorf("invalid mark %q, want %v", inv, c.invalid)
			}
			last := m.History[len(m.History)-1]
			if c.want == sms.Failed && (last.Code != c.code || (c.lastError != "" && last.Error != c.lastError)) {
				t.Errorf("the failure must keep Twilio's code and words: %+v", last)
			}
			if c.want == sms.Sent && m.SID == "" {
				t.Error("a sent message keeps Twilio's SID")
			}
			if n := attempts(m); n != c.attempts {
				t.Errorf("%d sending attempts, want %d: %+v", n, c.attempts, m.History)
			}
		})
	}
}

func attempts(m *sms.Message) int {
	n := 0
	for _, s := range m.History {
		if s.Status == sms.Sending {
			n++
		}
	}
	return n
}

// TestRateLimit: 30 messages at 20 a second, with the limiter's burst of 4,
// cannot all leave in less than the 26 intervals of 50 ms the limit
// imposes. Only a lower bound is asserted: a slow machine makes it longer,
// never shorter.
func TestRateLimit(t *testing.T) {
	fake := twiliotest.New(t, twiliotest.Options{})
	e := twilioEnv(t, fake, 20)
	ctx := context.Background()
	for i := range 30 {
		e.p.Send(ctx, outbound.Request{ID: fmt.Sprint("r", i), To: "+51900000001", Lang: "es", Text: fmt.Sprint("n", i)})
	}
	e.run()
	for i := range 30 {
		e.waitFor(fmt.Sprint("r", i), sms.Sent)
	}
	msgs := fake.Messages()
	first, last := msgs[0].At, msgs[0].At
	for _, m := range msgs {
		if m.At.Before(first) {
			first = m.At
		}
		if m.At.After(last) {
			last = m.At
		}
	}
	if span := last.Sub(first); span < 1200*time.Millisecond {
		t.Errorf("30 messages at 20/s left within %v: the limit is not applied", span)
	}
}
