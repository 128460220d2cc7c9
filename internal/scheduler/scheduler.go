// Package scheduler owns sending reminders: it plans, for every participant,
// the reminders due in a rolling window (not months of future work), and
// dispatches each when its time comes, once, in the participant's language.
// Once holds because a reminder's SMS has a fixed idempotency key
// (participant, event, rule): however many instances, retries or restarts,
// the pipeline sends it once.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/program"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/reminder"
)

// Config is what the scheduler depends on.
type Config struct {
	Store    *redisstore.Store
	Engine   *engine.Engine // rules, texts and the SMS pipeline of the current flows
	Location *time.Location // the participants' timezone, unless the rules name their region's
	Now      func() time.Time
	Window   time.Duration // how far ahead reminders are planned (48 h)
	Late     time.Duration // a reminder later than this is dropped, not sent (1 h)
	Log      *slog.Logger
	// Failures counts reminders whose dispatch failed (kept due and tried
	// again at the next tick); nil counts nothing.
	Failures prometheus.Counter
}

// Scheduler plans and dispatches.
type Scheduler struct {
	Config
	noRules atomic.Bool // told once that there are no rules, until they return
}

// New builds a scheduler.
func New(c Config) *Scheduler {
	if c.Window == 0 {
		c.Window = 48 * time.Hour
	}
	if c.Late == 0 {
		c.Late = time.Hour
	}
	return &Scheduler{Config: c}
}

// Stats counts a planning pass.
type Stats struct {
	Participants, Planned, Skipped int
	ByRule                         map[string]int
	ByDay                          map[string]int
}

// rules are the reminder rules of the current flows: nil when they have no
// flows/reminders.yaml (a reload may drop it), and then nothing is planned
// or dispatched. That is said once, not at every tick.
func (s *Scheduler) rules() *reminder.File {
	r := s.Engine.Library.Current().Reminders
	if r == nil && !s.noRules.Swap(true) {
		s.Log.Warn("no reminder rules (flows/reminders.yaml): no reminders are planned or sent until they return")
	}
	if r != nil && s.noRules.Swap(false) {
		s.Log.Info("reminder rules are back: planning and sending reminders again")
	}
	return r
}

// Plan puts every reminder due within the window in the due set. With
// dryRun it only counts. It is safe to run again and on several instances:
// planning the same reminder twice stores it once.
func (s *Scheduler) Plan(ctx context.Context, dryRun bool) (Stats, error) {
	st := Stats{ByRule: map[string]int{}, ByDay: map[string]int{}}
	rules := s.rules()
	if rules == nil {
		return st, nil
	}
	now := s.Now().In(s.Location)
	err := s.Store.Participants(ctx, 1000, func(people []*program.Person) error {
		var due, passed []redisstore.Due
		for _, p := range people {
			st.Participants++
			d, late := s.planPerson(ctx, rules, p, now, &st, dryRun)
			due, passed = append(due, d...), append(passed, late...)
		}
		late, err := s.unsent(ctx, passed, now, &st, dryRun)
		if err != nil || dryRun {
			return err
		}
		return s.Store.Schedule(ctx, append(due, late...))
	})
	return st, err
}

// planPerson lists a participant's reminders due within the window, and
// those whose time has passed before an event still to come.
func (s *Scheduler) planPerson(ctx context.Context, rules *reminder.File, p *program.Person, now time.Time, st *Stats, dryRun bool) (due, passed []redisstore.Due) {
	loc := rules.Location(p.Region, s.Location)
	for _, e := range p.Events {
		// Planned as if from the beginning of time, so that a reminder
		// whose time has passed keeps its time: see unsent.
		for _, pl := range rules.Plan(e, loc, time.Time{}) {
			d := redisstore.Due{Phone: p.Phone, Event: e.ID, Rule: pl.Rule.ID, At: pl.At}
			if pl.Skipped == "" && pl.At.Before(now) {
				if soon(e, loc, now, s.Window) {
					passed = append(passed, d)
				}
				continue
			}
			if pl.Skipped != "" {
				if soon(e, loc, now, s.Window) {
					st.Skipped++
					if !dryRun {
						if err := s.Store.Skip(ctx, d, pl.Skipped, now); err != nil {
							s.Log.Error("record skipped reminder", "err", err)
						}
					}
				}
				continue
			}
			if pl.At.After(now.Add(s.Window)) {
				continue
			}
			st.Planned++
			st.ByRule[pl.Rule.ID]++
			st.ByDay[pl.At.In(loc).Format("2006-01-02")]++
			due = append(due, d)
		}
	}
	return due, passed
}

// unsent decides about reminders whose time has passed, before events
// still to come. One already sent is left alone. One not sent is planned
// (at its own time) when still useful, so that a restart after 18:00, or
// a visit imported at 18:20, still sends the 18:00 reminder; dispatch
// sends it. Planning never takes a reminder out of the due set: dispatch
// may be sending it. One too late is recorded as skipped.
func (s *Scheduler) unsent(ctx context.Context, passed []redisstore.Due, now time.Time, st *Stats, dryRun bool) ([]redisstore.Due, error) {
	ids := make([]string, len(passed))
	for i, d := range passed {
		ids[i] = messageID(d)
	}
	exist, err := s.Store.MessagesExist(ctx, ids)
	if err != nil {
		return nil, err
	}
	var late []redisstore.Due
	for i, d := range passed {
		switch {
		case exist[i]:
		case now.Sub(d.At) <= s.Late:
			st.Planned++
			st.ByRule[d.Rule]++
			late = append(late, d)
		default:
			st.Skipped++
			if !dryRun {
				if err := s.Store.Skip(ctx, d, fmt.Sprintf("its time (%s) had passed when it was planned", d.At.In(now.Location()).Format("02/01 15:04")), now); err != nil {
					s.Log.Error("record skipped reminder", "err", err)
				}
			}
		}
	}
	return late, nil
}

// messageID is a reminder's SMS idempotency key: however many instances,
// retries or restarts, one message.
func messageID(d redisstore.Due) string { return "rem:" + d.Phone + ":" + d.Event + ":" + d.Rule }

// soon tells whether an event is still to come within the window: only
// then is a skipped reminder of it worth recording.
func soon(e program.Event, loc *time.Location, now time.Time, w time.Duration) bool {
	at, err := e.At(loc)
	return err == nil && at.After(now) && at.Before(now.Add(w))
}

// dispatchPage bounds one read of the due set.
const dispatchPage = 500

// maxFailures in a row end a dispatch pass: Redis is then more likely down
// than that many reminders broken, and the next tick tries again.
const maxFailures = 10

// Dispatch sends everything that is due, a page at a time until none is
// left: at 18:00 a whole region's "visit tomorrow" reminders fall due at
// once, and they must not trickle out a page per tick. Each reminder is
// checked again against the data as it is now: an event moved or removed by
// an import, or a reminder too late to be useful, is dropped and recorded,
// not sent. A reminder that fails is logged, counted and left due for the
// next tick, and the rest of the page goes on; one that keeps failing past
// its usefulness is recorded as skipped.
func (s *Scheduler) Dispatch(ctx context.Context) (sent int, err error) {
	rules := s.rules()
	if rules == nil {
		return 0, nil
	}
	now := s.Now().In(s.Location)
	var failed int64 // failed reminders stay due, before the rest: read past them
	for inARow := 0; ; {
		due, err := s.Store.DueBy(ctx, now, failed, dispatchPage)
		if err != nil || len(due) == 0 {
			return sent, err
		}
		var done []redisstore.Due
		for _, d := range due {
			ok, err := s.dispatch(ctx, rules, d, now)
			if err != nil {
				if s.failed(ctx, d, now, err) {
					failed++
				}
				if inARow++; inARow == maxFailures {
					return sent, fmt.Errorf("%d reminders failed in a row, the last: %w", inARow, err)
				}
				continue
			}
			inARow = 0
			if ok {
				sent++
				done = append(done, d)
			}
		}
		if err := s.Store.Unschedule(ctx, done); err != nil || len(due) < dispatchPage {
			return sent, err
		}
	}
}

// failed logs and counts a reminder that could not be sent; past its
// usefulness it is recorded as skipped, so that it stops being tried. It
// tells whether the reminder stays due.
func (s *Scheduler) failed(ctx context.Context, d redisstore.Due, now time.Time, err error) (stays bool) {
	if s.Failures != nil {
		s.Failures.Inc()
	}
	s.Log.Error("reminder dispatch failed; tried again at the next tick", "phone", phone.Mask(d.Phone),
		"event", d.Event, "rule", d.Rule, "err", err)
	if now.Sub(d.At) <= s.Late {
		return true
	}
	if err := s.Store.Skip(ctx, d, "failed until too late to be useful", now); err != nil {
		s.Log.Error("record skipped reminder", "err", err)
		return true
	}
	return false
}

// dispatch sends one reminder; false when it was dropped instead.
func (s *Scheduler) dispatch(ctx context.Context, rules *reminder.File, d redisstore.Due, now time.Time) (bool, error) {
	_, p, err := s.Store.Load(ctx, "", d.Phone)
	if err != nil {
		return false, err
	}
	e, rule, reason := s.recheck(rules, p, d, now)
	if reason != "" {
		return false, s.Store.Skip(ctx, d, reason, now)
	}
	text := s.Engine.ReminderText(p, rule.Text, e)
	err = s.Engine.SMS.Send(ctx, engine.Message{ID: messageID(d),
		To: p.Phone, Lang: p.Lang, Text: text, Kind: "reminder"})
	return err == nil, err
}

// recheck finds the reminder's event and rule as they are now.
func (s *Scheduler) recheck(rules *reminder.File, p *program.Person, d redisstore.Due, now time.Time) (program.Event, reminder.Rule, string) {
	if p.Role != program.Participant {
		return program.Event{}, reminder.Rule{}, "no longer a participant"
	}
	for _, e := range p.Events {
		if e.ID != d.Event {
			continue
		}
		for _, pl := range rules.Plan(e, rules.Location(p.Region, s.Location), d.At) {
			switch {
			case pl.Rule.ID != d.Rule:
				continue
			case pl.Skipped != "":
				return e, pl.Rule, pl.Skipped
			case !pl.At.Equal(d.At):
				return e, pl.Rule, "the rule now gives another time: planned again"
			case now.Sub(d.At) > s.Late:
				return e, pl.Rule, "too late to be useful"
			}
			return e, pl.Rule, ""
		}
		return e, reminder.Rule{}, "the rule was removed"
	}
	return program.Event{}, reminder.Rule{}, "the event was moved or removed"
}

// PlanTick plans and logs what it planned: the background loop's tick.
func (s *Scheduler) PlanTick(ctx context.Context) {
	st, err := s.Plan(ctx, false)
	if err != nil {
		s.Log.Error("reminders plan", "err", err)
		return
	}
	s.Log.Info("reminders planned", "participants", st.Participants, "planned", st.Planned, "skipped", st.Skipped)
}

// DispatchTick dispatches and logs what it sent: the background loop's tick.
func (s *Scheduler) DispatchTick(ctx context.Context) {
	if n, err := s.Dispatch(ctx); err != nil {
		s.Log.Error("reminders dispatch", "err", err)
	} else if n > 0 {
		s.Log.Info("reminders sent", "count", n)
	}
}

// Preview is one upcoming reminder of one participant.
type Preview struct {
	At      time.Time
	Rule    string
	Text    string
	Skipped string
}

// Preview lists a participant's reminders to come, soonest first, with the
// exact text in their language, or why one will not be sent.
func (s *Scheduler) Preview(ctx context.Context, phone string) ([]Preview, error) {
	_, p, err := s.Store.Load(ctx, "", phone)
	if err != nil {
		return nil, err
	}
	rules := s.rules()
	if p.Role != program.Participant || rules == nil {
		return nil, nil
	}
	loc := rules.Location(p.Region, s.Location)
	now := s.Now().In(loc)
	var out []Preview
	for _, e := range program.Upcoming(p.Events, now, program.Visit, program.Training, program.Meeting, program.Transfer) {
		for _, pl := range rules.Plan(e, loc, now) {
			pv := Preview{At: pl.At, Rule: pl.Rule.ID, Skipped: pl.Skipped}
			if pl.Skipped == "" {
				pv.Text = s.Engine.ReminderText(p, pl.Rule.Text, e)
			}
			out = append(out, pv)
		}
	}
	slices.SortStableFunc(out, func(a, b Preview) int { return a.At.Compare(b.At) })
	return out, nil
}
