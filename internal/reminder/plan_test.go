package reminder

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/program"
)

var lima, _ = time.LoadLocation("America/Lima")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, lima)
	if err != nil {
		panic(err)
	}
	return t
}

func rules(t *testing.T, body string) *File {
	t.Helper()
	f, err := Parse("reminders.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

const quiet = "quiet_hours: {from: \"20:30\", to: \"07:00\"}\n"

// TestPlan covers every rule kind and the edges of quiet hours.
func TestPlan(t *testing.T) {
	now := at("2026-11-27 10:00")
	visit := program.Event{ID: "v", Kind: program.Visit, Date: "2026-11-29", Time: "09:00"}
	early := program.Event{ID: "e", Kind: program.Visit, Date: "2026-11-29", Time: "07:00"}
	dawn := program.Event{ID: "d", Kind: program.Meeting, Date: "2026-11-29", Time: "06:00"}
	pay := program.Event{ID: "p", Kind: program.Transfer, Date: "2026-11-30", Program: "juntos"}
	for _, c := range []struct {
		name, rule string
		event      program.Event
		want       string // "2006-01-02 15:04" or "skip: reason"
	}{
		{"day before at a time", "{id: r, event: visit, day_before: 1, at: \"18:00\", text: t}", visit, "2026-11-28 18:00"},
		{"morning of", "{id: r, event: visit, day_before: 0, at: \"07:00\", text: t}", visit, "2026-11-29 07:00"},
		{"relative hours", "{id: r, event: visit, before: 2h, text: t}", visit, "2026-11-29 07:00"},
		{"relative minutes", "{id: r, event: visit, before: 30m, text: t}", visit, "2026-11-29 08:30"},
		{"relative days", "{id: r, event: visit, before: 1d, text: t}", visit, "2026-11-28 09:00"},
		{"quiet: later edge is nearer", "{id: r, event: visit, before: 3h, text: t}", visit, "2026-11-29 07:00"}, // 06:00 → 07:00
		{"quiet: earlier edge is nearer", "{id: r, event: visit, day_before: 1, at: \"21:00\", text: t}", visit, "2026-11-28 20:29"},
		{"quiet: the later edge is past the event", "{id: r, event: visit, before: 1h, text: t}", early, "2026-11-28 20:29"},
		{"quiet, no allowed time before the event", "{id: r, event: meeting, before: 3h, text: t}", dawn, "2026-11-28 20:29"},
		{"exactly at quiet start is quiet", "{id: r, event: visit, day_before: 1, at: \"20:30\", text: t}", visit, "2026-11-28 20:29"},
		{"exactly at quiet end is allowed", "{id: r, event: visit, day_before: 0, at: \"07:00\", text: t}", visit, "2026-11-29 07:00"},
		{"payment two days before", "{id: r, event: transfer, program: juntos, day_before: 2, at: \"09:00\", text: t}", pay, "2026-11-28 09:00"},
		{"payment morning of, before the day ends", "{id: r, event: transfer, day_before: 0, at: \"07:00\", text: t}", pay, "2026-11-30 07:00"},
		{"passed", "{id: r, event: visit, day_before: 2, at: \"09:00\", text: t}", visit, "skip: its time (27/11 09:00) has passed"},
		{"not before the event", "{id: r, event: visit, day_before: 0, at: \"10:00\", text: t}", visit, "skip: its time is not before the event"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := rules(t, quiet+"rules:\n  - "+c.rule+"\n")
			ps := f.Plan(c.event, lima, now)
			if len(ps) != 1 {
				t.Fatalf("%d plans", len(ps))
			}
			got := ps[0].At.Format("2006-01-02 15:04")
			if ps[0].Skipped != "" {
				got = "skip: " + ps[0].Skipped
			}
			if got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

// TestPlanAcrossSummerTime: on the day a zone changes its clocks, "18:00"
// is 18:00, quiet hours start and end at their clock times, and "1d" is the
// same time the day before; New York changes at 02:00, Santiago at
// midnight, when the day's first instant reads as the evening before.
func TestPlanAcrossSummerTime(t *testing.T) {
	ny, err1 := time.LoadLocation("America/New_York")
	scl, err2 := time.LoadLocation("America/Santiago")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	visit := func(date, clock string) program.Event {
		return program.Event{ID: "v", Kind: program.Visit, Date: date, Time: clock}
	}
	for _, c := range []struct {
		name, rule string
		event      program.Event
		loc        *time.Location
		want       string // "2006-01-02 15:04" in loc, or "skip: reason"
	}{
		{"day before at 18:00, clocks went forward that day", "{id: r, event: visit, day_before: 1, at: \"18:00\", text: t}",
			visit("2026-03-09", "09:00"), ny, "2026-03-08 18:00"},
		{"day before at 18:00, clocks went back that day", "{id: r, event: visit, day_before: 1, at: \"18:00\", text: t}",
			visit("2026-11-02", "09:00"), ny, "2026-11-01 18:00"},
		{"1d before is the same clock time", "{id: r, event: visit, before: 1d, text: t}",
			visit("2026-03-08", "09:00"), ny, "2026-03-07 09:00"},
		{"quiet hours end at 07:00 on the day clocks go forward", "{id: r, event: visit, before: 4h, text: t}",
			visit("2026-03-08", "08:00"), ny, "2026-03-08 07:00"},
		{"quiet hours start at 20:30 on the day clocks go back", "{id: r, event: visit, day_before: 1, at: \"21:00\", text: t}",
			visit("2026-11-02", "09:00"), ny, "2026-11-01 20:29"},
		{"a payment on a day with no midnight", "{id: r, event: transfer, day_before: 0, at: \"08:00\", text: t}",
			program.Event{ID: "p", Kind: program.Transfer, Date: "2026-09-06", Program: "juntos"}, scl, "2026-09-06 08:00"},
		{"the day before a day with no midnight", "{id: r, event: transfer, day_before: 1, at: \"18:00\", text: t}",
			program.Event{ID: "p", Kind: program.Transfer, Date: "2026-09-06", Program: "juntos"}, scl, "2026-09-05 18:00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := rules(t, quiet+"rules:\n  - "+c.rule+"\n")
			ps := f.Plan(c.event, c.loc, time.Date(2026, 1, 1, 0, 0, 0, 0, c.loc))
			if len(ps) != 1 {
				t.Fatalf("%d plans", len(ps))
			}
			got := ps[0].At.In(c.loc).Format("2006-01-02 15:04")
			if ps[0].Skipped != "" {
				got = "skip: " + ps[0].Skipped
			}
			if got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestQuietWithNoRoomSkips(t *testing.T) {
	// A 06:00 meeting, reminded 3 h before (03:00, quiet): 07:00 is after the
	// event, and 20:29 the evening before has passed at 23:00: skipped.
	f := rules(t, quiet+"rules:\n  - {id: r, event: meeting, before: 3h, text: t}\n")
	ps := f.Plan(program.Event{Kind: program.Meeting, Date: "2026-11-29", Time: "06:00"}, lima, at("2026-11-28 23:00"))
	if ps[0].Skipped != "in quiet hours, with no allowed time before the event" {
		t.Errorf("got %+v", ps[0])
	}
}

func TestProgramAndKindMatch(t *testing.T) {
	f := rules(t, quiet+`rules:
  - {id: j, event: transfer, program: juntos, before: 1d, text: t}
  - {id: any, event: transfer, before: 1d, text: t}
  - {id: v, event: visit, before: 1d, text: t}
`)
	ps := f.Plan(program.Event{Kind: program.Transfer, Program: "haku_winay", Date: "2026-12-05"}, lima, at("2026-11-27 10:00"))
	if len(ps) != 1 || ps[0].Rule.ID != "any" {
		t.Errorf("a haku_winay transfer matches only the rule for any program: %+v", ps)
	}
}

type texts map[string]bool

func (m texts) Has(_, id string) bool { return m[id] }

func TestProblems(t *testing.T) {
	f := rules(t, `quiet_hours: {from: "8:30", to: "07:00"}
rules:
  - {id: a, event: visit, before: 2h, day_before: 1, at: "18:00", text: t}
  - {id: a, event: party, before: 2x, text: nope}
  - {event: meeting, day_before: 40, at: "25:00", text: t}
  - {id: c, event: visit, program: juntos, text: t}
`)
	got := strings.Join(f.Problems(texts{"t": true}), "\n")
	want := strings.Join([]string{
		`quiet_hours.from: "8:30" is not a time like 18:00`,
		`rule 1 (a): give either before, or day_before with at, not both`,
		`rule 2 (a): id used twice`,
		`rule 2 (a): event "party" is not visit, training, meeting or transfer`,
		`rule 2 (a): before "2x": write minutes, hours or days, like 30m, 2h, 1d`,
		`rule 2 (a): text "nope" does not exist in locales/es.yaml`,
		`rule 3 (): needs an id`,
		`rule 3 (): day_before 40 is not between 0 and 30`,
		`rule 4 (c): program applies to transfers only`,
		`rule 4 (c): give before (like 2h), or day_before with at (like 1 and 18:00)`,
	}, "\n")
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

func TestShippedRules(t *testing.T) {
	buf, err := os.ReadFile("../../flows/reminders.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("flows/reminders.yaml", buf)
	if err != nil {
		t.Fatal(err)
	}
	all := texts{}
	for _, r := range f.Rules {
		all[r.Text] = true
	}
	if ps := f.Problems(all); len(ps) != 0 {
		t.Errorf("shipped rules: %v", ps)
	}
	kinds := map[string]int{}
	for _, r := range f.Rules {
		kinds[r.Event]++
	}
	if kinds["visit"] != 2 || kinds["training"] != 1 || kinds["meeting"] != 1 || kinds["transfer"] != 2 {
		t.Errorf("the defaults: visits twice, trainings and meetings once, Juntos twice: %v", kinds)
	}
}
