package app

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/sms"
)

// runWorker sends queued messages until the test ends.
func (e *smsEnv) runWorker() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.app.SMS.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// sendAndWait sends one message to `to` and waits until the worker has
// recorded Twilio's SID for it.
func (e *smsEnv) sendAndWait(id, to string) *sms.Message {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.app.SMS.Send(ctx, outbound.Request{ID: id, To: to, Lang: "es", Text: "Reunion manana", Kind: "oneoff"}); err != nil {
		e.t.Fatal(err)
	}
	for range 500 {
		if m, _ := e.app.Store.Message(ctx, id); m != nil && m.SID != "" {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("message %s never got its SID", id)
	return nil
}

// report plays Twilio's status callback for sid, with To as given.
func (e *smsEnv) report(sid, status, to string, code int) {
	e.t.Helper()
	form := url.Values{"MessageSid": {sid}, "MessageStatus": {status}, "AccountSid": {e.fake.AccountSID()}, "To": {to}}
	if code != 0 {
		form.Set("ErrorCode", strconv.Itoa(code))
	}
	if code, body := e.postRaw("/sms/twilio/status", form); code != 200 {
		e.t.Fatalf("status callback %s: %d %q", status, code, body)
	}
}

func statuses(m *sms.Message) []sms.Status {
	var out []sms.Status
	for _, s := range m.History {
		out = append(out, s.Status)
	}
	return out
}

// TestStatusBeforeTheSIDIsRecorded: Twilio reports before its answer to the
// send reaches the worker; the report is kept and applied, not dropped.
func TestStatusBeforeTheSIDIsRecorded(t *testing.T) {
	for _, c := range []struct {
		name    string
		status  string
		code    int
		want    sms.Status
		optsOut bool
	}{
		{"failed", "failed", 30003, sms.Failed, false},
		{"STOP at the carrier", "undelivered", 21610, sms.Undelivered, true},
		{"delivered", "delivered", 0, sms.Delivered, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := startSMS(t)
			e.runWorker()
			e.fake.ReportBeforeAnswer(c.status, c.code)
			m := e.sendAndWait("early-1", demo.Spanish)
			if m.Status() != c.want {
				t.Errorf("status %s (history %v), want %s", m.Status(), statuses(m), c.want)
			}
			if out, _ := e.app.Store.OptedOut(context.Background(), demo.Spanish); out != c.optsOut {
				t.Errorf("opted out: %v, want %v", out, c.optsOut)
			}
			if n, _ := e.redis.Client.Exists(context.Background(), e.redis.Prefix+"smspend:"+m.SID).Result(); n != 0 {
				t.Error("the early report is still kept after it was applied")
			}
		})
	}
}

// TestFinalStatusIsFinal: statuses move forward only, and the first final
// one stays; every report is in the history.
func TestFinalStatusIsFinal(t *testing.T) {
	e := startSMS(t)
	e.runWorker()
	for i, c := range []struct {
		reports []string
		want    sms.Status
	}{
		{[]string{"delivered", "failed", "delivered"}, sms.Delivered},
		{[]string{"delivered", "failed"}, sms.Delivered},
		{[]string{"undelivered", "delivered"}, sms.Undelivered},
		{[]string{"failed", "sent", "delivered"}, sms.Failed},
		{[]string{"delivered", "sent"}, sms.Delivered},
		{[]string{"sent", "undelivered"}, sms.Undelivered},
	} {
		m := e.sendAndWait("final-"+strconv.Itoa(i), demo.Spanish)
		for _, st := range c.reports {
			e.report(m.SID, st, demo.Spanish, 0)
		}
		got, _ := e.app.Store.Message(context.Background(), m.ID)
		if got.Status() != c.want || len(got.History) != 3+len(c.reports) { // queued, sending, sent, then the reports
			t.Errorf("%v: status %s, history %v; want %s", c.reports, got.Status(), statuses(got), c.want)
		}
	}
}

// TestOptOutFromTwilioIsTheStoredRecipient: error 21610 opts out whom the
// message was for, whatever the callback's To says.
func TestOptOutFromTwilioIsTheStoredRecipient(t *testing.T) {
	e := startSMS(t)
	e.runWorker()
	ctx := context.Background()
	m := e.sendAndWait("stop-1", demo.Spanish)
	e.report(m.SID, "undelivered", "900000001", 21610) // Rosa, written without +51
	if out, _ := e.app.Store.OptedOut(ctx, demo.Spanish); !out {
		t.Error("the message's recipient is not opted out")
	}
	m = e.sendAndWait("stop-2", demo.Shipibo)
	e.report(m.SID, "failed", demo.Quechua, 21610) // a To that is someone else
	if out, _ := e.app.Store.OptedOut(ctx, demo.Quechua); out {
		t.Error("the callback's To was opted out, not the recipient")
	}
	if out, _ := e.app.Store.OptedOut(ctx, demo.Shipibo); !out {
		t.Error("the recipient of the second message is not opted out")
	}
}
