// Package program owns the program's data as Willay sees it: participants,
// coaches, their savings, events (visits, trainings, meetings) and transfers.
// Plain types only: no storage, no transport.
package program

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role of a phone number.
type Role string

const (
	Unknown     Role = ""
	Participant Role = "participant"
	Coach       Role = "coach"
)

// Languages a person may be registered with.
var Languages = []string{"es", "qu", "quz", "quy", "shp"}

// ValidLanguage tells whether code is one of Languages.
func ValidLanguage(code string) bool {
	for _, l := range Languages {
		if l == code {
			return true
		}
	}
	return false
}

// Person is whoever dialed: a participant, a coach, or nobody known.
type Person struct {
	Phone     string
	Role      Role
	Name      string
	Lang      string
	Community string
	District  string
	Region    string
	Group     string   // a participant's group
	Groups    []string // a coach's groups
	Coach     string   // a participant's coach's phone
	CoachName string
	CoachLang string
	PINSet    bool
	LockedFor time.Duration // how long the savings screen stays locked
	Savings   *Savings
	Events    []Event // personal and group events and transfers
}

// FirstName is what a screen greets with.
func (p *Person) FirstName() string {
	if f := strings.Fields(p.Name); len(f) > 0 {
		return f[0]
	}
	return ""
}

// Savings is a balance in céntimos at a date.
type Savings struct {
	Cents int64
	AsOf  string // YYYY-MM-DD
	// Bad says why the stored savings could not be read: only the
	// savings screen fails, not the person's other menus.
	Bad string
}

// Event kinds. Transfers are events too, so that one list answers "what is
// coming" and one reminder planner serves both.
const (
	Visit    = "visit"
	Training = "training"
	Meeting  = "meeting"
	Transfer = "transfer"
)

// Event is a dated thing in a participant's life. Dates and times are civil
// (local to the participant); the timezone is applied when they are read.
type Event struct {
	ID      string
	Kind    string
	Date    string // YYYY-MM-DD
	Time    string // HH:MM, empty for transfers
	Place   string
	Topic   string
	Program string // transfers
	Cents   int64  // transfers
	Group   string // set when the event is the group's, not the person's
	Who     string // the participant's name, on a coach's agenda
}

// At is the moment the event starts in loc. A transfer without a time is
// taken at the start of its day.
func (e Event) At(loc *time.Location) (time.Time, error) {
	if e.Time == "" {
		return time.ParseInLocation("2006-01-02", e.Date, loc)
	}
	return time.ParseInLocation("2006-01-02 15:04", e.Date+" "+e.Time, loc)
}

// Upcoming keeps events of the given kinds that have not passed at now,
// soonest first. A transfer stays upcoming through its whole day.
func Upcoming(events []Event, now time.Time, kinds ...string) []Event {
	var out []Event
	for _, e := range events {
		if !hasKind(kinds, e.Kind) {
			continue
		}
		at, err := e.At(now.Location())
		if err != nil {
			continue
		}
		end := at
		if e.Time == "" {
			end = at.AddDate(0, 0, 1)
		}
		if end.After(now) {
			out = append(out, e)
		}
	}
	sortEvents(out)
	return out
}

func hasKind(kinds []string, k string) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

func sortEvents(es []Event) {
	slices.SortFunc(es, func(a, b Event) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.Time, b.Time), cmp.Compare(a.ID, b.ID))
	})
}

// Callback is a participant's request that their coach call them.
type Callback struct {
	Phone string
	Name  string
	At    time.Time
}

// Money formats céntimos as soles: S/ 1,250.00.
func Money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := fmt.Sprint(cents / 100)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return fmt.Sprintf("S/ %s%s.%02d", sign, whole, cents%100)
}

// ParseMoney reads "350", "350.5", "350.00" or "1,250.00" soles as céntimos.
func ParseMoney(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, fmt.Errorf("%q is not an amount in soles like 350.00", s)
	}
	var cents int64
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not an amount in soles like 350.00", s)
		}
	}
	fmt.Sscan(whole, &cents)
	cents *= 100
	if hasFrac {
		var f int64
		fmt.Sscan(frac, &f)
		if len(frac) == 1 {
			f *= 10
		}
		cents += f
	}
	return cents, nil
}

// Day formats a date as dd/mm, adding the year only when it is not now's.
func Day(t, now time.Time) string {
	if t.Year() != now.Year() {
		return t.Format("02/01/2006")
	}
	return t.Format("02/01")
}
