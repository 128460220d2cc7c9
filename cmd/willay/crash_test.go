package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/testredis"
	"github.com/willay-pe/willay/internal/twiliotest"
)

const crashMessages, crashConcurrency = 10_000, 8

// TestWorkerKilledLosesNothing queues 10,000 messages, kills the worker
// process with SIGKILL in the middle of sending, starts it again, and
// counts what Twilio received: every message, and at most the worker's
// concurrency twice (the sends in flight at the kill).
func TestWorkerKilledLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the willay binary")
	}
	t.Parallel() // mostly waiting for asynq to take back the sends in flight: run beside the other crash test
	r := testredis.New(t)
	fake := twiliotest.New(t, twiliotest.Options{})
	store := redisstore.New(r.Client, r.Prefix, redisstore.DefaultOptions(), nil)
	t.Cleanup(store.Close)
	queue := r.Queue(t)
	bin := buildWillay(t)
	queueMessages(t, r, store, queue)

	worker := startWorker(t, bin, r, fake, "")
	waitUntil(t, 2*time.Minute, func() bool { return fake.Count() >= 2000 })
	if err := worker.Process.Kill(); err != nil { // SIGKILL: no shutdown, no cleanup
		t.Fatal(err)
	}
	_ = worker.Wait()
	atKill := fake.Count()
	if atKill >= crashMessages {
		t.Fatalf("the worker sent everything before the kill (%d): nothing was tested", atKill)
	}

	startWorker(t, bin, r, fake, "")
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	waitUntil(t, 4*time.Minute, func() bool {
		q, err := insp.GetQueueInfo(queue)
		return err == nil && q.Pending+q.Active+q.Scheduled+q.Retry == 0 && len(fake.CountByBody()) == crashMessages
	})

	bodies := fake.CountByBody()
	dups := fake.Count() - crashMessages
	t.Logf("killed after %d sends; after restart: %d distinct messages, %d duplicates", atKill, len(bodies), dups)
	if len(bodies) != crashMessages {
		t.Errorf("%d of %d messages reached Twilio: some were lost", len(bodies), crashMessages)
	}
	if dups < 0 || dups > crashConcurrency {
		t.Errorf("%d duplicates, want at most the worker's concurrency (%d)", dups, crashConcurrency)
	}
	for _, i := range []int{0, crashMessages / 2, crashMessages - 1} {
		m, err := store.Message(context.Background(), fmt.Sprint("crash-", i))
		if err != nil || m == nil || m.Status() != sms.Sent {
			t.Errorf("message %d: %+v %v", i, m, err)
		}
	}
}

func buildWillay(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "willay")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// queueMessages queues the messages as the service would, eight at a time.
func queueMessages(t *testing.T, r *testredis.Redis, store *redisstore.Store, queue string) {
	t.Helper()
	p := outbound.New(outbound.Config{Redis: r.Client, Queue: queue, Store: store, MaxRetry: 5,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer p.Close()
	var wg sync.WaitGroup
	errs := make(chan error, crashMessages)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < crashMessages; i += 8 {
				_, err := p.Send(context.Background(), outbound.Request{ID: fmt.Sprint("crash-", i), To: "+51900000001",
					Lang: "es", Text: fmt.Sprint("Mensaje ", i), Kind: "oneoff"})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// startWorker runs `willay worker` on the test's Redis, sending to the fake
// Twilio; flows "" is the shipped flows/.
func startWorker(t *testing.T, bin string, r *testredis.Redis, fake *twiliotest.Server, flows string) *exec.Cmd {
	t.Helper()
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	if flows == "" {
		flows = abs("../../flows")
	}
	cmd := exec.Command(bin, "worker")
	cmd.Env = append(os.Environ(), "REDIS_URL="+r.URL, "WILLAY_REDIS_PREFIX="+r.Prefix, "WILLAY_DEMO=false",
		"WILLAY_PIN_KEY="+strings.Repeat("ab", 32), "WILLAY_FLOWS="+flows, "WILLAY_LOCALES="+abs("../../locales"),
		"WILLAY_TZ=America/Lima", "WILLAY_REMINDERS=true",
		"TWILIO_ACCOUNT_SID="+fake.AccountSID(), "TWILIO_AUTH_TOKEN="+fake.AuthToken(), "TWILIO_FROM=+15005550006",
		"TWILIO_API_URL="+fake.URL(), "WILLAY_PUBLIC_URL=https://willay.example.org", fmt.Sprint("WILLAY_SMS_CONCURRENCY=", crashConcurrency), "WILLAY_LOG_LEVEL=error")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// waitUntil polls cond; the limit is a guard against a hang, not a
// measurement.
func waitUntil(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
