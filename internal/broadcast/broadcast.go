// Package broadcast owns reminders a person sends to many: a coach to their
// group from the USSD menu, or staff to groups, communities or districts
// from the command line. A broadcast is stored with its recipients, waits
// out a grace period (or its set time) during which it can be cancelled,
// is queued into the SMS pipeline once, in each recipient's language, and
// ends with a summary SMS to the coach who sent it.
package broadcast

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/willay-pe/willay/internal/sms"
)

// Template is a reminder a coach can send from a basic phone: its text is a
// message of locales/, filled with the date, time, group and coach.
type Template struct {
	ID   string
	Text string // message ID, in every language
	Date bool   // asks the date (ddmm); without it the date is tomorrow
	Time bool   // asks the time (hhmm)
}

// Templates are the reminders the coach menu offers, in its order.
var Templates = []Template{
	{ID: "visit", Text: "sms.broadcast.visit", Time: true},
	{ID: "meeting", Text: "sms.broadcast.meeting", Date: true, Time: true},
	{ID: "training", Text: "sms.broadcast.training", Date: true, Time: true},
	{ID: "payment", Text: "sms.broadcast.payment", Date: true},
	{ID: "savings", Text: "sms.broadcast.savings", Date: true, Time: true},
}

// TemplateByID finds a template.
func TemplateByID(id string) (Template, bool) {
	for _, t := range Templates {
		if t.ID == id {
			return t, true
		}
	}
	return Template{}, false
}

// Status is where a broadcast stands. It only moves forward.
type Status string

const (
	Scheduled Status = "scheduled" // waiting for its time; can be cancelled
	Sending   Status = "sending"   // its messages are being queued
	Queued    Status = "queued"    // every message is in the pipeline
	Done      Status = "done"      // every message has an outcome; summary sent
	Cancelled Status = "cancelled"
)

// Broadcast is one message to many.
type Broadcast struct {
	ID     string `json:"id"`
	By     string `json:"by"`   // the coach's phone, or "staff:NAME"
	ByName string `json:"name"` // shown in the texts as the sender
	ByLang string `json:"lang"` // the language of the summary
	// Template, Date (YYYY-MM-DD) and Time (HH:MM) make a templated
	// broadcast; Texts (by language) a free one.
	Template string            `json:"tpl,omitempty"`
	Date     string            `json:"date,omitempty"`
	Time     string            `json:"time,omitempty"`
	Texts    map[string]string `json:"texts,omitempty"`
	// Fallback sends the Spanish free text to recipients whose language
	// has none; without it they are left out and listed.
	Fallback    bool      `json:"fallback,omitempty"`
	Groups      []string  `json:"groups,omitempty"`
	Communities []string  `json:"communities,omitempty"`
	Districts   []string  `json:"districts,omitempty"`
	At          time.Time `json:"at"` // when sending starts
	Created     time.Time `json:"created"`
	Count       int       `json:"count"` // recipients
	// Read from storage, not part of the JSON.
	Status   Status    `json:"-"`
	QueuedAt time.Time `json:"-"`
	// Outcomes counts its messages by status, kept as each one changes
	// (nil for a broadcast made before they were kept).
	Outcomes map[sms.Status]int `json:"-"`
	// Cursor is how many recipients, in order, have their message queued:
	// queueing taken over after a crash resumes there.
	Cursor int64 `json:"-"`
}

// Coach tells whether a coach sent it: a coach gets a summary SMS.
func (b *Broadcast) Coach() bool { return b.By != "" && b.By[0] == '+' }

// Target says who it goes to, for lists and logs.
func (b *Broadcast) Target() string {
	var s string
	add := func(what string, xs []string) {
		for _, x := range xs {
			if s != "" {
				s += ", "
			}
			s += what + x
		}
	}
	add("", b.Groups)
	add("community ", b.Communities)
	add("district ", b.Districts)
	return s
}

// Errors of a broadcast that cannot be made.
var (
	ErrNoRecipients = errors.New("nobody to send to")
	ErrLimit        = errors.New("daily broadcast limit reached")
	ErrNotYours     = errors.New("not your broadcast")
	ErrStarted      = errors.New("already sending: it can no longer be cancelled")
	ErrNotFound     = errors.New("no such broadcast")
)

// LangError reports recipients whose language has no text, in a free
// broadcast without Spanish fallback.
type LangError struct{ Counts map[string]int }

func (e *LangError) Error() string {
	return fmt.Sprintf("no text for the languages of some recipients %v: give one (--text-LANG) or choose the Spanish fallback", e.Counts)
}

// Window is how far ahead a date may be: a date typed as ddmm that would
// be further (or in the past, taken as next year) is a mistake.
const Window = 60 * 24 * time.Hour

// ParseDay reads ddmm as the next such day from now (today included), in
// now's timezone; ok is false for a date that does not exist or is more
// than Window ahead.
func ParseDay(ddmm string, now time.Time) (time.Time, bool) {
	if len(ddmm) != 4 {
		return time.Time{}, false
	}
	d, err1 := strconv.Atoi(ddmm[:2])
	m, err2 := strconv.Atoi(ddmm[2:])
	if err1 != nil || err2 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	for _, y := range []int{now.Year(), now.Year() + 1} {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, now.Location())
		if t.Day() != d { // 3102 is not a date
			return time.Time{}, false
		}
		if !t.Before(today) { // compared as days: a summer-time change makes a day 23 or 25 hours
			return t, !t.After(today.AddDate(0, 0, int(Window/(24*time.Hour))))
		}
	}
	return time.Time{}, false
}

// ParseClock reads hhmm as "HH:MM".
func ParseClock(hhmm string) (string, bool) {
	if len(hhmm) != 4 {
		return "", false
	}
	h, err1 := strconv.Atoi(hhmm[:2])
	m, err2 := strconv.Atoi(hhmm[2:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return "", false
	}
	return hhmm[:2] + ":" + hhmm[2:], true
}
