package app

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/sms"
)

// bigGroup imports n participants of group g, in three languages.
func (e *testEnv) bigGroup(n int, g string) []importer.ParticipantRow {
	e.t.Helper()
	rows := make([]importer.ParticipantRow, n)
	for i := range rows {
		rows[i] = importer.ParticipantRow{Phone: fmt.Sprintf("+5197200%04d", i), Name: fmt.Sprintf("Persona %d", i),
			Language: []string{"es", "qu", "shp"}[i%3], Community: "Ccasapata", District: "Yauli", Region: "Huancavelica", Group: g}
	}
	if err := e.app.Store.ApplyParticipants(context.Background(), rows); err != nil {
		e.t.Fatal(err)
	}
	return rows
}

// commands counts the Redis commands a client sends while on.
type commands struct {
	on bool
	n  int
}

func (c *commands) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *commands) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if c.on {
			c.n++
		}
		return next(ctx, cmd)
	}
}
func (c *commands) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if c.on {
			c.n += len(cmds)
		}
		return next(ctx, cmds)
	}
}

// TestBroadcastOutcomesAreCounted: a broadcast's outcome counters follow
// its messages' statuses (queued, sending, sent, delivered, failed for an
// opt-out), and the summary check of a tick reads them, not every
// recipient's message.
func TestBroadcastOutcomesAreCounted(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	const n = 300
	rows := e.bigGroup(n, "TALLY-01")
	if err := e.app.Store.SetOptOut(ctx, rows[7].Phone, true); err != nil {
		t.Fatal(err)
	}
	b := &broadcast.Broadcast{By: "staff:test", ByName: "Oficina Yauli", Template: "payment", Date: "2026-12-01", Groups: []string{"TALLY-01"}}
	if _, err := e.app.Broadcasts.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, err := e.app.Broadcasts.Dispatch(ctx); err != nil || got != n {
		t.Fatalf("queued %d, %v", got, err)
	}
	outcomes := func() map[sms.Status]int {
		got, err := e.app.Store.Broadcast(ctx, b.ID)
		if err != nil || got == nil {
			t.Fatalf("broadcast: %+v %v", got, err)
		}
		return got.Outcomes
	}
	if o := outcomes(); o[sms.Queued] != n || len(o) != 1 {
		t.Errorf("after queueing: %v, want %d queued", o, n)
	}
	count := &commands{}
	e.app.Redis.AddHook(count)
	count.on = true
	if err := e.app.Broadcasts.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	count.on = false
	if count.n > 5 {
		t.Errorf("a summary check while %d messages wait sent %d Redis commands: it must read the counters, not each message", n, count.n)
	}
	runPipeline(t, e)
	waitFor(t, func() bool { o := outcomes(); return o[sms.Sent] == n-1 && o[sms.Failed] == 1 })
	id := broadcast.MessageID(b.ID, rows[0].Phone)
	if _, err := e.app.Store.AddStep(ctx, id, sms.Step{Status: sms.Delivered, At: e.clock.t}, ""); err != nil {
		t.Fatal(err)
	}
	if o := outcomes(); o[sms.Sent] != n-2 || o[sms.Delivered] != 1 || o[sms.Failed] != 1 || o[sms.Queued] != 0 || o[sms.Sending] != 0 {
		t.Errorf("after a delivery: %v", o)
	}
	if err := e.app.Broadcasts.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := e.app.Broadcasts.Report(ctx, b.ID)
	if err != nil || r.Status != broadcast.Done || r.Reached != n-1 || len(r.Unreached) != 1 || r.Unreached[0].Phone != rows[7].Phone {
		t.Errorf("report %+v %v", r, err)
	}
}

// slowSender is a dispatcher's pipeline that takes 4 minutes a page (the
// test's clock moves), and checks at each page that nobody else can claim
// the broadcast meanwhile; it fails after fail sends (a process dying),
// unless fail is 0.
type slowSender struct {
	e      *testEnv
	next   broadcast.Sender
	page   int
	sent   int
	fail   int
	stolen bool
	lease  time.Duration
}

func (s *slowSender) Send(ctx context.Context, r outbound.Request) (*sms.Message, error) {
	if s.fail > 0 && s.sent == s.fail {
		return nil, errors.New("process died")
	}
	if s.sent%s.page == 0 {
		s.e.clock.t = s.e.clock.t.Add(4 * time.Minute)
		if id, err := s.e.app.Store.ClaimBroadcast(ctx, s.e.clock.t, s.lease); err != nil || id != "" {
			s.stolen = true
		}
	}
	s.sent++
	return s.next.Send(ctx, r)
}

// TestLargeBroadcastKeepsItsClaimAndResumesAtTheCursor: queueing a
// broadcast page by page renews its claim, so another dispatcher does not
// take it over while it takes longer than the lease; one taken over after a
// crash resumes at the last page queued, not at recipient 0.
func TestLargeBroadcastKeepsItsClaimAndResumesAtTheCursor(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	const n = 300
	e.bigGroup(n, "BIG-01")
	b := &broadcast.Broadcast{By: "staff:test", ByName: "Oficina Yauli", Template: "payment", Date: "2026-12-01", Groups: []string{"BIG-01"}}
	if _, err := e.app.Broadcasts.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	// A dispatcher taking 4 minutes a page (lease 5), dying in page 2.
	slow := *e.app.Broadcasts
	slow.Page, slow.Workers = 100, 1
	sender := &slowSender{e: e, next: e.app.SMS, page: 100, fail: 150, lease: slow.Lease}
	slow.SMS = sender
	if _, err := slow.Dispatch(ctx); err == nil {
		t.Fatal("the dying dispatcher reports its failure")
	}
	if sender.stolen {
		t.Error("another dispatcher claimed the broadcast while it was being queued")
	}
	if got, _ := e.app.Broadcasts.Dispatch(ctx); got != 0 {
		t.Errorf("within the renewed lease nobody else takes it: queued %d", got)
	}
	e.clock.t = e.clock.t.Add(6 * time.Minute)
	next := *e.app.Broadcasts
	next.Page = 100
	if got, err := next.Dispatch(ctx); err != nil || got != n-100 {
		t.Fatalf("after the lease: queued %d, %v; want the %d after the first page", got, err, n-100)
	}
	r, err := e.app.Broadcasts.Report(ctx, b.ID)
	if err != nil || r.Status != broadcast.Queued || r.Counts[sms.Queued] != n || r.Counts[""] != 0 {
		t.Errorf("report %+v %v", r, err)
	}
	if size := e.queueSize(t); size != n {
		t.Errorf("%d tasks queued for %d recipients", size, n)
	}
}
