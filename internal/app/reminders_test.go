package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/program"
	"github.com/willay-pe/willay/internal/scheduler"
	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/testredis"
)

// TestRemindersPlannedAndSentOnce runs the scheduler on a clock the test
// moves: the default rules, in each language, sent once however often
// planning and dispatch run.
func TestRemindersPlannedAndSentOnce(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	s := e.app.Reminders
	st, err := s.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	// Within 48 h of 27/11 10:00: the visits of Rosa (28/11 09:00), Ynes
	// (28/11 08:00) and Juana (29/11 10:30), each the evening before and
	// the morning of.
	if st.Planned != 6 || st.ByRule["visit.evening_before"] != 3 || st.ByRule["visit.morning_of"] != 3 {
		t.Errorf("planned %+v", st)
	}
	if n, _ := s.Dispatch(ctx); n != 0 {
		t.Errorf("at 10:00 nothing is due, sent %d", n)
	}
	e.clock.t = time.Date(2026, 11, 27, 18, 0, 0, 0, lima)
	if n, _ := s.Dispatch(ctx); n != 2 {
		t.Errorf("at 18:00 the evening-before reminders of Rosa and Ynes are due, sent %d", n)
	}
	for _, c := range []struct{ phone, want string }{
		{demo.Spanish, "Willay: mañana 28/11 a las 09:00 su yachachiq la visita: Biohuerto familiar. Su casa."},
		{demo.Shipibo, "Willay: bakish 28/11 08:00 oran min yachachiq mia merai: Piscigranja. Mia xobon."},
	} {
		msgs, _ := e.app.Store.Messages(ctx, c.phone, sms.Queued, 10)
		if len(msgs) != 1 || msgs[0].Kind != "reminder" || msgs[0].Text != c.want {
			t.Errorf("%s: %+v", c.phone, msgs)
		}
	}
	// Planning and dispatching again, as another instance or a restart
	// would, sends nothing twice.
	for range 2 {
		if _, err := s.Plan(ctx, false); err != nil {
			t.Fatal(err)
		}
		s.Dispatch(ctx)
	}
	if msgs, _ := e.app.Store.Messages(ctx, demo.Spanish, "", 10); len(msgs) != 1 {
		t.Errorf("Rosa got %d reminders, want 1", len(msgs))
	}
	// A reminder found due long after its time (the service was down) is
	// dropped and recorded, not sent late.
	e.clock.t = time.Date(2026, 11, 28, 9, 30, 0, 0, lima)
	s.Dispatch(ctx)
	skipped, _ := e.app.Store.Skipped(ctx, 10)
	if len(skipped) == 0 || !strings.Contains(strings.Join(skipped, "\n"), "too late to be useful") {
		t.Errorf("late reminders are recorded as skipped: %v", skipped)
	}
	if msgs, _ := e.app.Store.Messages(ctx, demo.Spanish, "", 10); len(msgs) != 1 {
		t.Errorf("Rosa's 07:00 reminder must not go out at 09:30: %d messages", len(msgs))
	}
}

// TestTwoSchedulersSendOnce: two instances planning and dispatching at the
// same moment send each reminder once.
func TestTwoSchedulersSendOnce(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	other := scheduler.New(scheduler.Config{Store: e.app.Store, Engine: e.app.Engine, Location: lima, Now: e.clock.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e.clock.t = time.Date(2026, 11, 27, 18, 0, 0, 0, lima)
	var wg sync.WaitGroup
	for _, s := range []*scheduler.Scheduler{e.app.Reminders, other} {
		wg.Go(func() {
			for range 3 {
				if _, err := s.Plan(ctx, false); err != nil {
					t.Error(err)
				}
				if _, err := s.Dispatch(ctx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for _, phone := range []string{demo.Spanish, demo.Shipibo} {
		if msgs, _ := e.app.Store.Messages(ctx, phone, "", 10); len(msgs) != 1 {
			t.Errorf("%s got %d reminders from two schedulers, want 1", phone, len(msgs))
		}
	}
}

// TestRemindersFollowReimport: a visit moved by an import is reminded at
// its new time, never at the old one.
func TestRemindersFollowReimport(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	s := e.app.Reminders
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	// Rosa's visit moves from 28/11 09:00 to 29/11 11:00.
	csv := "phone,group,kind,starts_at,place,topic\n" + demo.Spanish + ",,visit,2026-11-29 11:00,Su casa,Biohuerto familiar\n"
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(csv)), nil }
	if _, err := importer.ImportReader(ctx, importer.Visits, open, e.app.Store, importer.Options{Location: lima}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	e.clock.t = time.Date(2026, 11, 27, 18, 0, 0, 0, lima)
	s.Dispatch(ctx)
	if msgs, _ := e.app.Store.Messages(ctx, demo.Spanish, "", 10); len(msgs) != 0 {
		t.Errorf("no reminder for the old time: %+v", *msgs[0])
	}
	skipped, _ := e.app.Store.Skipped(ctx, 10)
	if !strings.Contains(strings.Join(skipped, "\n"), demo.Spanish+"|d1|visit.evening_before|the event was moved or removed") {
		t.Errorf("the old reminder is recorded as dropped: %v", skipped)
	}
	e.clock.t = time.Date(2026, 11, 28, 18, 0, 0, 0, lima)
	s.Plan(ctx, false)
	s.Dispatch(ctx)
	msgs, _ := e.app.Store.Messages(ctx, demo.Spanish, "", 10)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "mañana 29/11 a las 11:00") {
		t.Errorf("the reminder at the new time: %+v", msgs)
	}
}

// TestDispatchDrainsEverythingDue: more reminders due at one minute than a
// page all go out in one dispatch.
func TestDispatchDrainsEverythingDue(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	var people []importer.ParticipantRow
	var visits []importer.EventRow
	for i := range 700 {
		ph := fmt.Sprintf("+5198%07d", i)
		people = append(people, importer.ParticipantRow{Phone: ph, Name: "P", Language: "es", Group: "G"})
		visits = append(visits, importer.EventRow{Phone: ph, Event: program.Event{ID: "v", Kind: program.Visit, Date: "2026-11-28", Time: "09:00", Place: "Casa"}})
	}
	if err := e.app.Store.ApplyParticipants(ctx, people); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.ApplyEvents(ctx, visits); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Reminders.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	e.clock.t = time.Date(2026, 11, 27, 18, 0, 0, 0, lima)
	n, err := e.app.Reminders.Dispatch(ctx)
	if err != nil || n != 702 { // the 700 and the demo's Rosa and Ynes
		t.Errorf("one dispatch sent %d (%v), want 702", n, err)
	}
}

// TestPlanningAfterDueTimeKeepsReminders: a process restarted (or an
// hourly plan run) after reminders fell due, but before they were sent,
// must not drop them: planning plans again at start, dispatch comes after.
func TestPlanningAfterDueTimeKeepsReminders(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	s := e.app.Reminders
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	e.clock.t = time.Date(2026, 11, 27, 18, 0, 30, 0, lima) // the 18:00 reminders are due, none sent yet
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Dispatch(ctx); err != nil || n != 2 {
		t.Errorf("after planning again past their time: sent %d, %v; want Rosa's and Ynes's 2", n, err)
	}
	if skipped, _ := e.app.Store.Skipped(ctx, 10); len(skipped) != 0 {
		t.Errorf("nothing was skipped: %v", skipped)
	}
}

// TestRegionTimezone: a region the rules give its own timezone gets its
// reminders at its own local hour (America/La_Paz is an hour ahead of
// Lima: Ynes's 18:00 is Lima's 17:00).
func TestRegionTimezone(t *testing.T) {
	r := testredis.New(t)
	flows, locales := copyTree(t)
	edit(t, filepath.Join(flows, "reminders.yaml"), "timezones: {}", "timezones: {Ucayali: America/La_Paz}")
	e := startOn(t, r, testConfig(t, r, flows, locales))
	ctx := context.Background()
	s := e.app.Reminders
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	e.clock.t = time.Date(2026, 11, 27, 17, 0, 0, 0, lima)
	if n, _ := s.Dispatch(ctx); n != 1 {
		t.Errorf("at 17:00 in Lima, 18:00 in La Paz: sent %d, want Ynes's 1", n)
	}
	if msgs, _ := e.app.Store.Messages(ctx, demo.Shipibo, "", 5); len(msgs) != 1 {
		t.Errorf("Ynes: %d messages", len(msgs))
	}
	e.clock.t = time.Date(2026, 11, 27, 18, 0, 0, 0, lima)
	if n, _ := s.Dispatch(ctx); n != 1 {
		t.Errorf("at 18:00 in Lima: sent %d, want Rosa's 1", n)
	}
	edit(t, filepath.Join(flows, "reminders.yaml"), "America/La_Paz", "Mars/Olympus")
	if err := e.app.Reload(ctx); err == nil || !strings.Contains(err.Error(), `timezones: Ucayali: "Mars/Olympus" is not a timezone`) {
		t.Errorf("a reload with a timezone that does not exist: %v", err)
	}
}

// TestOptedOutGetNoReminders: someone who sent BAJA gets no reminder, and
// the message says why; someone who sent ALTA again gets the next one.
func TestOptedOutGetNoReminders(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	if err := e.app.Store.SetOptOut(ctx, demo.Spanish, true); err != nil {
		t.Fatal(err)
	}
	s := e.app.Reminders
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	e.clock.t = time.Date(2026, 11, 27, 18, 0, 0, 0, lima)
	if _, err := s.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	runPipeline(t, e)
	var rosa, ynes []*sms.Message
	waitFor(t, func() bool {
		rosa, _ = e.app.Store.Messages(ctx, demo.Spanish, "", 5)
		ynes, _ = e.app.Store.Messages(ctx, demo.Shipibo, "", 5)
		return len(rosa) == 1 && rosa[0].Status().Final() && len(ynes) == 1 && ynes[0].Status() == sms.Sent
	})
	if last := rosa[0].History[len(rosa[0].History)-1]; rosa[0].Status() != sms.Failed || last.Error != "opted out: not sent" {
		t.Errorf("Rosa's reminder: %s %+v", rosa[0].Status(), last)
	}
	outbox, _ := e.redis.Client.LRange(ctx, e.redis.Prefix+"outbox", 0, -1).Result()
	if len(outbox) != 1 || !strings.Contains(outbox[0], demo.Shipibo) {
		t.Errorf("what left: %v", outbox)
	}
	// Back in (ALTA): the morning reminder reaches her.
	if err := e.app.Store.SetOptOut(ctx, demo.Spanish, false); err != nil {
		t.Fatal(err)
	}
	e.clock.t = time.Date(2026, 11, 28, 7, 0, 0, 0, lima)
	if _, err := s.Dispatch(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		rosa, _ = e.app.Store.Messages(ctx, demo.Spanish, sms.Sent, 5)
		return len(rosa) == 1
	})
}

// TestReminderForAVisitImportedAfterItsTime: a visit imported at 18:20 for
// tomorrow morning still gets its 18:00 reminder (late, but useful); one
// imported after 19:00 gets it recorded as skipped; one already sent is
// never planned again.
func TestReminderForAVisitImportedAfterItsTime(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	s := e.app.Reminders
	visit := func(id string) importer.EventRow {
		return importer.EventRow{Phone: demo.Spanish, Event: program.Event{ID: id, Kind: program.Visit, Date: "2026-11-28",
			Time: "10:30", Place: "Su casa", Topic: "Cuyes"}}
	}
	e.clock.t = time.Date(2026, 11, 27, 18, 20, 0, 0, lima)
	if err := e.app.Store.ApplyEvents(ctx, []importer.EventRow{visit("late1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Dispatch(ctx); err != nil || n != 3 {
		t.Errorf("at 18:20: sent %d, %v; want the 18:00 reminders of Rosa's two visits and Ynes's one", n, err)
	}
	e.clock.t = time.Date(2026, 11, 27, 18, 40, 0, 0, lima)
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Dispatch(ctx); n != 0 {
		t.Errorf("planning again after they were sent sent %d more", n)
	}
	e.clock.t = time.Date(2026, 11, 27, 19, 30, 0, 0, lima)
	if err := e.app.Store.ApplyEvents(ctx, []importer.EventRow{visit("late2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Dispatch(ctx); n != 0 {
		t.Errorf("at 19:30 the 18:00 reminder is too late: sent %d", n)
	}
	skipped, _ := e.app.Store.Skipped(ctx, 10)
	if len(skipped) != 1 || skipped[0] != demo.Spanish+"|late2|visit.evening_before|its time (27/11 18:00) had passed when it was planned" {
		t.Errorf("skips recorded: %q", skipped)
	}
	msgs, _ := e.app.Store.Messages(ctx, demo.Spanish, "", 10)
	if len(msgs) != 2 {
		t.Errorf("Rosa got %d reminders, want 2 (one per visit imported in time)", len(msgs))
	}
}
