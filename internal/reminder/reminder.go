// Package reminder owns reminder rules (flows/reminders.yaml) and the
// arithmetic of when a reminder goes out: relative to its event, in the
// participant's timezone, outside quiet hours, before the event. It knows
// no storage and no clock of its own.
package reminder

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/willay-pe/willay/internal/program"
)

// File is flows/reminders.yaml.
type File struct {
	Quiet Quiet  `yaml:"quiet_hours"`
	Rules []Rule `yaml:"rules"`
	// Timezones names the IANA timezone of regions whose participants do
	// not live in the service's (WILLAY_TZ): region as imported → zone.
	Timezones map[string]string `yaml:"timezones"`
	Name      string            `yaml:"-"`
	zones     map[string]*time.Location
}

// Quiet is the daily window in which nothing is sent, e.g. 20:30 to 07:00.
type Quiet struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// Rule is one reminder of one kind of event.
type Rule struct {
	ID      string `yaml:"id"`
	Event   string `yaml:"event"`   // visit, training, meeting, transfer
	Program string `yaml:"program"` // transfers only: juntos, haku_winay, ...; empty: any
	// Either Before ("2h", "30m", "1d") relative to the event's start, or
	// DayBefore days before the event's date At a local time ("18:00").
	Before    string `yaml:"before"`
	DayBefore *int   `yaml:"day_before"`
	At        string `yaml:"at"`
	Text      string `yaml:"text"` // message ID
}

// Parse reads the rules file; Problems says what is wrong with it.
func Parse(name string, buf []byte) (*File, error) {
	f := &File{Name: name}
	if err := yaml.UnmarshalWithOptions(buf, f, yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	f.zones = map[string]*time.Location{}
	for region, zone := range f.Timezones {
		if loc, err := time.LoadLocation(zone); err == nil && zone != "" {
			f.zones[region] = loc
		}
	}
	return f, nil
}

// Location is where a participant of region lives: the region's timezone,
// or def.
func (f *File) Location(region string, def *time.Location) *time.Location {
	if f != nil {
		if loc := f.zones[region]; loc != nil {
			return loc
		}
	}
	return def
}

// Texts answers whether a message ID exists, for validation.
type Texts interface{ Has(lang, id string) bool }

// Problems lists everything wrong, each with its rule.
func (f *File) Problems(texts Texts) []string {
	var ps []string
	add := func(where, what string) { ps = append(ps, where+what) }
	if _, err := clock(f.Quiet.From); err != nil {
		add("quiet_hours.from: ", err.Error())
	}
	if _, err := clock(f.Quiet.To); err != nil {
		add("quiet_hours.to: ", err.Error())
	}
	for _, region := range slices.Sorted(maps.Keys(f.Timezones)) {
		if _, err := time.LoadLocation(f.Timezones[region]); err != nil || f.Timezones[region] == "" {
			add("timezones: "+region+": ", fmt.Sprintf("%q is not a timezone (write one like America/Lima)", f.Timezones[region]))
		}
	}
	seen := map[string]bool{}
	for i, r := range f.Rules {
		where := fmt.Sprintf("rule %d (%s): ", i+1, r.ID)
		switch {
		case r.ID == "":
			add(where, "needs an id")
		case seen[r.ID]:
			add(where, "id used twice")
		}
		seen[r.ID] = true
		if !validKind(r.Event) {
			add(where, fmt.Sprintf("event %q is not visit, training, meeting or transfer", r.Event))
		}
		if r.Program != "" && r.Event != program.Transfer {
			add(where, "program applies to transfers only")
		}
		if _, _, err := r.timing(); err != nil {
			add(where, err.Error())
		}
		if !texts.Has("es", r.Text) {
			add(where, fmt.Sprintf("text %q does not exist in locales/es.yaml", r.Text))
		}
	}
	return ps
}

func validKind(k string) bool {
	return k == program.Visit || k == program.Training || k == program.Meeting || k == program.Transfer
}

// timing is the rule's offset: relative (before) or a day and a clock time.
func (r Rule) timing() (before time.Duration, at time.Duration, err error) {
	switch {
	case r.Before != "" && (r.DayBefore != nil || r.At != ""):
		return 0, 0, fmt.Errorf("give either before, or day_before with at, not both")
	case r.Before != "":
		d, err := duration(r.Before)
		return d, -1, err
	case r.DayBefore == nil || r.At == "":
		return 0, 0, fmt.Errorf("give before (like 2h), or day_before with at (like 1 and 18:00)")
	case *r.DayBefore < 0 || *r.DayBefore > 30:
		return 0, 0, fmt.Errorf("day_before %d is not between 0 and 30", *r.DayBefore)
	}
	t, err := clock(r.At)
	return 0, t, err
}

// duration reads 30m, 2h or 1d: whole minutes, hours or days.
func duration(s string) (time.Duration, error) {
	unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}
	var n int
	if len(s) < 2 || unit[s[len(s)-1]] == 0 {
		return 0, fmt.Errorf("before %q: write minutes, hours or days, like 30m, 2h, 1d", s)
	}
	if _, err := fmt.Sscanf(s[:len(s)-1], "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != s[:len(s)-1] {
		return 0, fmt.Errorf("before %q: write minutes, hours or days, like 30m, 2h, 1d", s)
	}
	return time.Duration(n) * unit[s[len(s)-1]], nil
}

// clock reads HH:MM as time since midnight.
func clock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("%q is not a time like 18:00", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Matches tells whether the rule follows event e.
func (r Rule) Matches(e program.Event) bool {
	return r.Event == e.Kind && (r.Program == "" || strings.EqualFold(r.Program, e.Program))
}
