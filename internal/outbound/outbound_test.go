package outbound_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/testredis"
)

type env struct {
	t     *testing.T
	r     *testredis.Redis
	store *redisstore.Store
	p     *outbound.Pipeline
}

func newEnv(t *testing.T, sender func(r *testredis.Redis) sms.Sender, rate int) *env {
	r := testredis.New(t)
	store := redisstore.New(r.Client, r.Prefix, redisstore.DefaultOptions(), nil)
	t.Cleanup(store.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Retries come back at once: a test waits for outcomes, not backoff.
	p := outbound.New(outbound.Config{Redis: r.Client, Queue: r.Queue(t), RateKey: r.Prefix + "rate", Store: store,
		Sender: sender(r), Rate: rate, Concurrency: 8, MaxRetry: 2, FoldAccents: true,
		RetryDelay: func(int) time.Duration { return 10 * time.Millisecond }, Log: log})
	t.Cleanup(func() { p.Close() })
	return &env{t: t, r: r, store: store, p: p}
}

func outbox(r *testredis.Redis) sms.Sender {
	return &outbound.Outbox{Redis: r.Client, Key: r.Prefix + "outbox", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}
}

// run works the queue until the test ends.
func (e *env) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.p.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// waitFor polls message id until its status is want; it fails after a
// generous deadline (a guard, not a measurement).
func (e *env) waitFor(id string, want sms.Status) *sms.Message {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		m, err := e.store.Message(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if m != nil && m.Status() == want {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	m, _ := e.store.Message(context.Background(), id)
	e.t.Fatalf("message %s never reached %s: %+v", id, want, m)
	return nil
}

func TestSendThroughOutbox(t *testing.T) {
	e := newEnv(t, outbox, 0)
	ctx := context.Background()
	m, err := e.p.Send(ctx, outbound.Request{ID: "m1", To: "+51900000001", Lang: "es", Text: "Día de pago: “mañana”", Kind: "oneoff"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != `Dia de pago: "mañana"` || m.Encoding != "GSM-7" || m.Segments != 1 {
		t.Errorf("normalized: %+v", m)
	}
	again, err := e.p.Send(ctx, outbound.Request{ID: "m1", To: "+51900000001", Lang: "es", Text: "other text"})
	if err != nil || again.Text != m.Text {
		t.Errorf("a second Send with the same ID must change nothing: %+v %v", again, err)
	}
	e.run()
	got := e.waitFor("m1", sms.Sent)
	var steps []sms.Status
	for _, s := range got.History {
		steps = append(steps, s.Status)
	}
	if fmt.Sprint(steps) != "[queued sending sent]" || got.SID == "" {
		t.Errorf("history %v, sid %q", steps, got.SID)
	}
	if n, _ := e.r.Client.LLen(ctx, e.r.Prefix+"outbox").Result(); n != 1 {
		t.Errorf("outbox holds %d messages, want 1", n)
	}
	if id, _ := e.store.MessageBySID(ctx, got.SID); id != "m1" {
		t.Errorf("SID index gives %q", id)
	}
}

func TestOptedOutGetNothingButExempt(t *testing.T) {
	e := newEnv(t, outbox, 0)
	ctx := context.Background()
	if err := e.store.SetOptOut(ctx, "+51900000002", true); err != nil {
		t.Fatal(err)
	}
	e.p.Send(ctx, outbound.Request{ID: "reminder", To: "+51900000002", Lang: "qu", Text: "Paqarin watukuy", Kind: "reminder"})
	e.p.Send(ctx, outbound.Request{ID: "confirm", To: "+51900000002", Lang: "qu", Text: "Manam astawan", Kind: "reply", Exempt: true})
	e.run()
	if m := e.waitFor("reminder", sms.Failed); m.History[len(m.History)-1].Error != "opted out: not sent" {
		t.Errorf("an opted-out reminder: %+v", m.History)
	}
	e.waitFor("confirm", sms.Sent)
}

func TestEmptyTextRefused(t *testing.T) {
	e := newEnv(t, outbox, 0)
	if _, err := e.p.Send(context.Background(), outbound.Request{ID: "x", To: "+51900000001", Text: "\u200b"}); err != outbound.ErrEmpty {
		t.Errorf("got %v", err)
	}
}

// TestOutboxLogsTextOnlyForTheDemo: a real message can hold a balance; only
// the demo's made-up people have theirs in the log.
func TestOutboxLogsTextOnlyForTheDemo(t *testing.T) {
	r := testredis.New(t)
	for _, demo := range []bool{false, true} {
		var buf strings.Builder
		o := &outbound.Outbox{Redis: r.Client, Key: r.Prefix + "outbox", Log: slog.New(slog.NewTextHandler(&buf, nil)),
			Now: time.Now, ShowText: demo}
		if _, err := o.Send(context.Background(), "+51987654321", "Willay: su ahorro es S/ 1,234.50"); err != nil {
			t.Fatal(err)
		}
		log := buf.String()
		if strings.Contains(log, "987654321") {
			t.Errorf("demo=%v: the phone is in the log: %s", demo, log)
		}
		if got := strings.Contains(log, "1,234.50"); got != demo {
			t.Errorf("demo=%v: text in the log = %v: %s", demo, got, log)
		}
	}
}
