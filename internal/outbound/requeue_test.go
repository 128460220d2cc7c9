package outbound_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/testredis"
	"github.com/willay-pe/willay/internal/twilio"
	"github.com/willay-pe/willay/internal/twiliotest"
)

// queueStall makes Redis stall for asynq's commands only, while on: the
// message is stored, and queueing it then times out, as when Redis pauses
// between the two steps.
type queueStall struct{ on atomic.Bool }

func (q *queueStall) DialHook(next redis.DialHook) redis.DialHook { return next }

func (q *queueStall) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if q.on.Load() && touchesQueue(cmd) {
			err := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("i/o timeout")}
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (q *queueStall) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func touchesQueue(cmd redis.Cmder) bool {
	for _, a := range cmd.Args() {
		if s, ok := a.(string); ok && strings.HasPrefix(s, "asynq:") {
			return true
		}
	}
	return false
}

// clock is a test clock the test moves; the worker reads it concurrently.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestStoredButNotQueuedIsSentOnce: Redis stalls between storing a message
// and queueing it. The requeuer, once the grace has passed, queues it; it
// is sent exactly once, however often the requeuer runs, and a message
// queued normally is not queued again.
func TestStoredButNotQueuedIsSentOnce(t *testing.T) {
	fake := twiliotest.New(t, twiliotest.Options{})
	tw, err := twilio.New(twilio.Config{AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(), From: "+15005550006",
		APIURL: fake.URL(), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r := testredis.New(t)
	stall := &queueStall{}
	r.Client.AddHook(stall)
	clk := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	store := redisstore.New(r.Client, r.Prefix, redisstore.DefaultOptions(), clk.Now)
	t.Cleanup(store.Close)
	p := outbound.New(outbound.Config{Redis: r.Client, Queue: r.Queue(t), Store: store, Sender: tw, Concurrency: 4, MaxRetry: 2,
		RequeueAfter: time.Minute, Now: clk.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { p.Close() })
	e := &env{t: t, r: r, store: store, p: p}
	ctx := context.Background()

	stall.on.Store(true)
	if _, err := p.Send(ctx, outbound.Request{ID: "stuck", To: "+51900000001", Lang: "es", Text: "Su yachachiq la llamara", Kind: "callback"}); err == nil {
		t.Fatal("the send must report that queueing failed")
	}
	stall.on.Store(false)
	if _, err := p.Send(ctx, outbound.Request{ID: "fine", To: "+51900000002", Lang: "es", Text: "Hola", Kind: "reply"}); err != nil {
		t.Fatal(err)
	}
	if m, _ := store.Message(ctx, "stuck"); m == nil || m.Status() != sms.Queued {
		t.Fatalf("the message is stored, queued: %+v", m)
	}
	if n, err := p.Requeue(ctx); err != nil || n != 0 {
		t.Errorf("within the grace: requeued %d, %v; want none", n, err)
	}
	clk.add(2 * time.Minute)
	for i, want := range []int{1, 0} { // the second pass finds nothing left
		if n, err := p.Requeue(ctx); err != nil || n != want {
			t.Errorf("pass %d: requeued %d, %v; want %d (only the stranded one)", i+1, n, err, want)
		}
	}
	e.run()
	e.waitFor("stuck", sms.Sent)
	e.waitFor("fine", sms.Sent)
	if n, err := p.Requeue(ctx); err != nil || n != 0 {
		t.Errorf("after sending: requeued %d, %v", n, err)
	}
	if _, err := p.Send(ctx, outbound.Request{ID: "stuck", To: "+51900000001", Lang: "es", Text: "Su yachachiq la llamara"}); err != nil {
		t.Fatal(err)
	}
	if fake.Count() != 2 {
		t.Errorf("the fake accepted %d messages, want 2: each once", fake.Count())
	}
	if left, _ := r.Client.ZCard(ctx, r.Prefix+"smscheck").Result(); left != 0 {
		t.Errorf("%d messages left to check", left)
	}
}
