package app

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/testredis"
)

// startSMSBehindProxy is startSMS with Redis behind a proxy the test cuts.
func startSMSBehindProxy(t *testing.T) (*smsEnv, *testredis.Proxy) {
	t.Helper()
	r := testredis.New(t)
	cfg, proxy := configBehindProxy(t, r)
	return startSMSOn(t, r, cfg, 10), proxy
}

// replies counts the messages with body Twilio accepted.
func (e *smsEnv) waitForBody(body string, want int) int {
	n := 0
	for range 300 {
		if n = e.fake.CountByBody()[body]; n >= want {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // and no more come
	return e.fake.CountByBody()[body]
}

// TestBajaDuringAnOutage: a BAJA sent while Redis is down is kept on disk,
// answered 200, and applied once when Redis is back, in the order sent;
// its confirmation goes out by SMS, once.
func TestBajaDuringAnOutage(t *testing.T) {
	e, proxy := startSMSBehindProxy(t)
	ctx := context.Background()
	e.runWorker()
	stop := e.notice("es", "sms.stop")

	proxy.Cut()
	const baja = "SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1"
	for range 2 { // and Twilio's retry of it
		if code, body := e.textAs(demo.Spanish, baja, "BAJA"); code != http.StatusOK || strings.Contains(body, "<Message>") {
			t.Fatalf("BAJA with Redis down: %d %q, want 200 and no reply yet", code, body)
		}
	}
	if !e.app.Inbound.Spool().Pending() {
		t.Fatal("the BAJA is not in the spool")
	}
	proxy.Restore()
	// Redis is back, but the BAJA waits: this ALTA, sent after it, must
	// apply after it.
	if code, body := e.textAs(demo.Spanish, "SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2", "ALTA"); code != http.StatusOK || strings.Contains(body, "<Message>") {
		t.Fatalf("ALTA behind a spooled BAJA: %d %q, want 200, answered by SMS", code, body)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.app.Loops.Every(rctx, "sms_spool", 20*time.Millisecond, e.app.Inbound.Tick); close(done) }()
	defer func() { cancel(); <-done }()

	if n := e.waitForBody(stop, 1); n != 1 {
		t.Errorf("the BAJA's confirmation reached Twilio %d times, want 1", n)
	}
	if n := e.waitForBody(e.notice("es", "sms.start"), 1); n != 1 {
		t.Errorf("the ALTA's confirmation reached Twilio %d times, want 1", n)
	}
	if out, _ := e.app.Store.OptedOut(ctx, demo.Spanish); out {
		t.Error("BAJA then ALTA left the person opted out: the spool was replayed out of order")
	}
	if e.app.Inbound.Spool().Pending() {
		t.Error("the spool is not empty after the replay")
	}
	// Now Redis answers: messages are answered at once again, and a late
	// retry of the BAJA changes nothing.
	if _, got := e.textAs(demo.Spanish, baja, "BAJA"); got != "" && strings.Contains(got, "<Message>") {
		t.Errorf("a retry of a message answered by SMS got a second answer: %q", got)
	}
	if out, _ := e.app.Store.OptedOut(ctx, demo.Spanish); out {
		t.Error("a late retry of the BAJA opted the person out again")
	}
	if _, got := e.text(demo.Spanish, "BAJA"); got != stop {
		t.Errorf("after the replay a new BAJA is answered at once: %q", got)
	}
}

// TestSpoolSurvivesARestart: a message spooled by one process is applied
// by the next one on the same folder.
func TestSpoolSurvivesARestart(t *testing.T) {
	e, proxy := startSMSBehindProxy(t)
	proxy.Cut()
	if code, _ := e.textAs(demo.Quechua, "SMcccccccccccccccccccccccccccccccc1", "BAJA"); code != http.StatusOK {
		t.Fatalf("BAJA with Redis down: %d", code)
	}
	e.srv.Close()
	e.app.Close() // the process ends; only the spool folder stays
	proxy.Restore()
	next, err := New(context.Background(), e.cfg, slog.New(slog.NewJSONHandler(e.logs, nil)), e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if err := next.Inbound.Replay(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out, _ := next.Store.OptedOut(context.Background(), demo.Quechua); !out {
		t.Error("the spooled BAJA was not applied after the restart")
	}
	if m, _ := next.Store.Messages(context.Background(), demo.Quechua, "", 5); len(m) != 1 || m[0].Kind != "reply" {
		t.Errorf("the confirmation is not queued by SMS: %+v", m)
	}
}

// TestCorruptSpoolLineIsReported: a line that is not a message (a torn
// write, a hand edit) is kept aside and logged; the others are applied.
func TestCorruptSpoolLineIsReported(t *testing.T) {
	e := startSMS(t)
	dir := e.cfg.SMS.SpoolDir
	lines := `{"from":"` + demo.Spanish + `","sid":"SMdddddddddddddddddddddddddddddd01","body":"BAJA","at":"2026-11-27T10:00:00-05:00"}
{"from":"+5190000
{"from":"` + demo.Quechua + `","sid":"SMdddddddddddddddddddddddddddddd02","body":"BAJA","at":"2026-11-27T10:00:01-05:00"}
`
	if err := os.WriteFile(filepath.Join(dir, "incoming.jsonl"), []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Inbound.Replay(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{demo.Spanish, demo.Quechua} {
		if out, _ := e.app.Store.OptedOut(context.Background(), p); !out {
			t.Errorf("%s: the good lines around the corrupt one were not applied", p)
		}
	}
	rejected, err := os.ReadFile(filepath.Join(dir, "rejected.jsonl"))
	if err != nil || !strings.Contains(string(rejected), `"line":2`) || !strings.Contains(string(rejected), `+5190000`) {
		t.Errorf("the corrupt line is not kept in rejected.jsonl: %q %v", rejected, err)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "could not be replayed") || !strings.Contains(logs, `"line":2`) {
		t.Errorf("the corrupt line is not logged:\n%s", logs)
	}
	if strings.Contains(e.logs.String(), "+5190000") {
		t.Error("the log shows what the corrupt line holds")
	}
	if e.app.Inbound.Spool().Pending() {
		t.Error("the spool is not empty after the replay")
	}
}
