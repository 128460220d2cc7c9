package reminder

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/willay-pe/willay/internal/program"
)

// Planned is one reminder of one event: when it goes out, or why not.
type Planned struct {
	Rule    Rule
	At      time.Time
	Skipped string // why it will not be sent; empty when At holds
}

// Plan works out every reminder of event e for a participant in loc, as
// seen at now. A reminder that would fall in quiet hours moves to the
// nearest allowed minute still before the event; with none, or when its
// time has passed, it is skipped, with the reason.
func (f *File) Plan(e program.Event, loc *time.Location, now time.Time) []Planned {
	var out []Planned
	for _, r := range f.Rules {
		if r.Matches(e) {
			out = append(out, f.plan(r, e, loc, now))
		}
	}
	return out
}

func (f *File) plan(r Rule, e program.Event, loc *time.Location, now time.Time) Planned {
	p := Planned{Rule: r}
	// The event's day as written: in a zone whose clocks jump at midnight,
	// the first instant of a day can read as the evening before.
	day, err := time.Parse("2006-01-02", e.Date)
	start, err2 := e.At(loc)
	if err != nil || err2 != nil {
		p.Skipped = "the event's date cannot be read"
		return p
	}
	starts, _ := clock(e.Time) // 0 for an all-day payment
	deadline := start          // a reminder must come before the event starts...
	if e.Time == "" {
		deadline = onDate(day, 1, 0, loc) // ...or, for an all-day payment, before the day ends
	}
	before, at, err := r.timing()
	if err != nil {
		p.Skipped = err.Error()
		return p
	}
	want := start.Add(-before)
	if days, ok := strings.CutSuffix(r.Before, "d"); ok { // days of the calendar: the same clock time
		n, _ := strconv.Atoi(days)
		want = onDate(day, -n, starts, loc)
	}
	if at >= 0 && r.Before == "" {
		want = onDate(day, -*r.DayBefore, at, loc)
	}
	p.At, p.Skipped = f.allowed(want, deadline, now)
	return p
}

// allowed moves t out of quiet hours to the nearest allowed minute before
// the deadline and not before now.
func (f *File) allowed(t, deadline, now time.Time) (time.Time, string) {
	ok := func(c time.Time) bool { return !c.Before(now) && c.Before(deadline) }
	if !f.quiet(t) {
		if ok(t) {
			return t, ""
		}
		return time.Time{}, skipReason(t, deadline, now)
	}
	earlier, later := f.quietStart(t).Add(-time.Minute), f.quietEnd(t)
	first, second := earlier, later
	if later.Sub(t) < t.Sub(earlier) {
		first, second = later, earlier
	}
	for _, c := range []time.Time{first, second} {
		if ok(c) {
			return c, ""
		}
	}
	return time.Time{}, "in quiet hours, with no allowed time before the event"
}

func skipReason(t, deadline, now time.Time) string {
	if !t.Before(deadline) {
		return "its time is not before the event"
	}
	return fmt.Sprintf("its time (%s) has passed", t.Format("02/01 15:04"))
}

// quiet tells whether t falls in the quiet window [from, to), which may
// cross midnight.
func (f *File) quiet(t time.Time) bool {
	from, _ := clock(f.Quiet.From)
	to, _ := clock(f.Quiet.To)
	m := sinceMidnight(t)
	if from <= to {
		return m >= from && m < to
	}
	return m >= from || m < to
}

func sinceMidnight(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
}

// quietStart is when the quiet window containing t began.
func (f *File) quietStart(t time.Time) time.Time {
	from, _ := clock(f.Quiet.From)
	days := 0
	if sinceMidnight(t) < from { // after midnight: it began the evening before
		days = -1
	}
	return onDate(t, days, from, t.Location())
}

// quietEnd is when the quiet window containing t ends.
func (f *File) quietEnd(t time.Time) time.Time {
	to, _ := clock(f.Quiet.To)
	days := 0
	if sinceMidnight(t) >= to { // before midnight: it ends the next morning
		days = 1
	}
	return onDate(t, days, to, t.Location())
}

// onDate is the clock time c (since midnight, as clock reads it) of the
// day days after date's (its year, month and day as they read), in loc.
// It is built with time.Date, not as midnight plus c: on the day a zone
// with summer time changes its clocks, midnight plus 18 hours is 17:00 or
// 19:00, and in some zones that day has no midnight.
func onDate(date time.Time, days int, c time.Duration, loc *time.Location) time.Time {
	return time.Date(date.Year(), date.Month(), date.Day()+days, int(c/time.Hour), int(c%time.Hour/time.Minute), 0, 0, loc)
}

// NextAllowed is t, or the end of the quiet hours t falls in: a broadcast
// made at night leaves in the morning.
func (f *File) NextAllowed(t time.Time) time.Time {
	if f == nil || !f.quiet(t) {
		return t
	}
	return f.quietEnd(t)
}
