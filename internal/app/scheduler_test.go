package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/testredis"
)

// TestDispatchAfterReloadWithoutReminderRules: a reload that drops
// flows/reminders.yaml (a warning, not an error) leaves reminders due;
// dispatching them then sends nothing, says so once, and does not panic.
// With the rules back they are sent.
func TestDispatchAfterReloadWithoutReminderRules(t *testing.T) {
	r := testredis.New(t)
	flows, locales := copyTree(t)
	e := startOn(t, r, testConfig(t, r, flows, locales))
	ctx := context.Background()
	s := e.app.Reminders
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join(flows, "reminders.yaml")
	saved, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(rules); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Reload(ctx); err != nil {
		t.Fatalf("a reload without reminder rules is allowed: %v", err)
	}
	e.clock.t = time.Date(2026, 11, 27, 18, 0, 0, 0, lima)
	for range 2 {
		if n, err := s.Dispatch(ctx); err != nil || n != 0 {
			t.Errorf("without rules: sent %d, %v; want nothing", n, err)
		}
		if st, err := s.Plan(ctx, false); err != nil || st.Planned != 0 {
			t.Errorf("without rules: planned %+v, %v", st, err)
		}
	}
	if n := strings.Count(e.logs.String(), "no reminder rules"); n != 1 {
		t.Errorf("said %d times that there are no rules, want once", n)
	}
	if err := os.WriteFile(rules, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Dispatch(ctx); err != nil || n != 2 {
		t.Errorf("with the rules back: sent %d, %v; want Rosa's and Ynes's", n, err)
	}
}

// failingMessenger fails every SMS to one phone, and passes the others on.
type failingMessenger struct {
	next  engine.Messenger
	phone string
}

func (f failingMessenger) Send(ctx context.Context, m engine.Message) error {
	if m.To == f.phone {
		return errors.New("storage timeout")
	}
	return f.next.Send(ctx, m)
}

// TestFailingReminderDoesNotStopThePage: Rosa's reminder fails (first in
// the page); Ynes's, behind it, still goes out at once. Rosa's is counted,
// stays due and is sent at a later tick while still useful; a reminder that
// fails until too late is recorded as skipped.
func TestFailingReminderDoesNotStopThePage(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	s := e.app.Reminders
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	working := e.app.Engine.SMS
	e.app.Engine.SMS = failingMessenger{next: working, phone: demo.Spanish}
	e.clock.t = time.Date(2026, 11, 27, 18, 0, 0, 0, lima)
	if n, err := s.Dispatch(ctx); err != nil || n != 1 {
		t.Errorf("with Rosa's failing: sent %d, %v; want Ynes's", n, err)
	}
	if msgs, _ := e.app.Store.Messages(ctx, demo.Shipibo, "", 10); len(msgs) != 1 {
		t.Errorf("Ynes got %d reminders, want 1", len(msgs))
	}
	if !strings.Contains(e.status200("/metrics"), "willay_reminders_failed_total 1") {
		t.Error("the failure is counted in willay_reminders_failed_total")
	}
	e.app.Engine.SMS = working
	e.clock.t = time.Date(2026, 11, 27, 18, 10, 0, 0, lima)
	if n, err := s.Dispatch(ctx); err != nil || n != 1 {
		t.Errorf("at the next tick: sent %d, %v; want Rosa's", n, err)
	}
	if msgs, _ := e.app.Store.Messages(ctx, demo.Spanish, "", 10); len(msgs) != 1 {
		t.Errorf("Rosa got %d reminders, want 1", len(msgs))
	}
	// Juana's record cannot be read until her reminders are useless: they
	// are recorded as skipped, not tried for ever.
	if err := e.redis.Client.HSet(ctx, e.redis.Prefix+"p:"+demo.Quechua, "sav", "corrupt").Err(); err != nil {
		t.Fatal(err)
	}
	e.clock.t = time.Date(2026, 11, 29, 11, 45, 0, 0, lima)
	s.Dispatch(ctx)
	skipped, _ := e.app.Store.Skipped(ctx, 20)
	if !strings.Contains(strings.Join(skipped, "\n"), demo.Quechua+"|") {
		t.Errorf("Juana's failing reminders are recorded as skipped: %v", skipped)
	}
	if due, _ := e.app.Store.DueBy(ctx, e.clock.t, 0, 10); len(due) != 0 {
		t.Errorf("still due: %+v", due)
	}
}

// status200 reads path, which must answer 200.
func (e *testEnv) status200(path string) string {
	e.t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}
