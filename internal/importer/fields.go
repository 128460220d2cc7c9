package importer

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/program"
)

const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02 15:04"
	reasonRequired = "this cell is empty but is required"
)

var programCode = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// env is what validation needs from outside the file.
type env struct {
	loc     *time.Location
	maxAsOf string // YYYY-MM-DD: tomorrow in loc, so a balance taken today counts wherever the officer is
}

// rec is one data line: trimmed values in header order and its problems.
// vals is nil when the line could not be split into the right cells.
type rec struct {
	line int
	cols []string
	vals []string
	errs []RowError
}

func (r *rec) shaped() bool { return r.vals != nil }

// index panics on a name missing from Headers: that is a bug in this
// package, not in the file.
func (r *rec) index(col string) int {
	i := slices.Index(r.cols, col)
	if i < 0 {
		panic("importer: no column " + col)
	}
	return i
}

// present tells whether the cell was filled in, even if it is bad.
func (r *rec) present(col string) bool { return r.vals[r.index(col)] != "" }

// get is the cell's value, or "" when the cell already failed, so that later
// checks neither repeat the problem nor build on a bad value.
func (r *rec) get(col string) string {
	if !r.ok(col) {
		return ""
	}
	return r.vals[r.index(col)]
}

func (r *rec) ok(col string) bool {
	for _, e := range r.errs {
		if e.Column == col {
			return false
		}
	}
	return true
}

// fail records a problem with a cell. Only the first one per cell is kept:
// it is the one to fix, and the others usually follow from it. A phone is
// shown masked, as everywhere a report or log can reach: the line and
// column find the cell.
func (r *rec) fail(col, reason string) {
	if r.ok(col) {
		v := clip(r.vals[r.index(col)], maxChars)
		if isPhoneColumn(col) {
			v = phone.Mask(v)
		}
		r.errs = append(r.errs, RowError{Line: r.line, Column: col, Value: v, Reason: reason})
	}
}

func isPhoneColumn(col string) bool { return col == "phone" || strings.HasSuffix(col, "_phone") }

// sortErrs puts a line's problems in column order, line problems first.
func (r *rec) sortErrs() {
	pos := func(e RowError) int { return slices.Index(r.cols, e.Column) }
	slices.SortStableFunc(r.errs, func(a, b RowError) int { return pos(a) - pos(b) })
}

func (r *rec) required(col string) string {
	v := r.get(col)
	if v == "" {
		r.fail(col, reasonRequired)
	}
	return v
}

// phone returns the E.164 form of the cell, or "" when empty or bad.
func (r *rec) phone(col string, required bool) string {
	v := r.get(col)
	if v == "" {
		if required {
			r.fail(col, reasonRequired)
		}
		return ""
	}
	p, err := phone.Normalize(v)
	if err != nil {
		r.fail(col, phoneReason(err))
		return ""
	}
	return p
}

// phoneReason drops the `phone "…": ` prefix of phone's errors, since a
// RowError already shows the value.
func phoneReason(err error) string {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "phone ")
	if !ok {
		return msg
	}
	quoted, qerr := strconv.QuotedPrefix(rest)
	if qerr != nil {
		return msg
	}
	if reason, ok := strings.CutPrefix(rest[len(quoted):], ": "); ok {
		return reason
	}
	return msg
}

func (r *rec) language(col string) string {
	v := strings.ToLower(r.required(col))
	if v != "" && !program.ValidLanguage(v) {
		r.fail(col, "must be one of "+strings.Join(program.Languages, ", "))
		return ""
	}
	return v
}

// oneOf lower-cases the cell and checks it against choices.
func (r *rec) oneOf(col string, choices ...string) string {
	v := strings.ToLower(r.required(col))
	if v != "" && !slices.Contains(choices, v) {
		r.fail(col, "must be one of "+strings.Join(choices, ", "))
		return ""
	}
	return v
}

func (r *rec) program(col string) string {
	v := strings.ToLower(r.required(col))
	if v != "" && !programCode.MatchString(v) {
		r.fail(col, "must be a program code like juntos or pension_65: letters, digits and _, starting with a letter, at most 32")
		return ""
	}
	return v
}

func (r *rec) date(col string) string {
	v := r.required(col)
	if v == "" {
		return ""
	}
	if t, err := time.Parse(dateLayout, v); err != nil || t.Format(dateLayout) != v {
		r.fail(col, "must be a real date written year-month-day, like 2025-03-14")
		return ""
	}
	return v
}

// dateTime splits a local "YYYY-MM-DD HH:MM" into date and clock, refusing
// times the clock skips in loc (a daylight-saving gap).
func (r *rec) dateTime(col string, loc *time.Location) (date, clock string) {
	v := r.required(col)
	if v == "" {
		return "", ""
	}
	civil, err := time.Parse(dateTimeLayout, v)
	if err != nil || civil.Format(dateTimeLayout) != v {
		r.fail(col, "must be a real date and time written like 2025-03-14 09:30")
		return "", ""
	}
	if local, _ := time.ParseInLocation(dateTimeLayout, v, loc); local.Format(dateTimeLayout) != v {
		r.fail(col, "does not exist in the "+loc.String()+" time zone because the clock skips it")
		return "", ""
	}
	return civil.Format(dateLayout), civil.Format("15:04")
}

// money reads soles as céntimos; ok is false when the cell is empty or bad.
func (r *rec) money(col string) (cents int64, ok bool) {
	v := r.required(col)
	if v == "" {
		return 0, false
	}
	cents, err := program.ParseMoney(v)
	if err != nil {
		r.fail(col, "must be an amount in soles like 350.00, without S/")
		return 0, false
	}
	return cents, true
}

// target reads an event's phone and group columns, exactly one of which must
// be filled in. At most one of the results is non-empty.
func (r *rec) target() (ph, group string) {
	hasPhone, hasGroup := r.present("phone"), r.present("group")
	switch {
	case hasPhone && hasGroup:
		r.fail("phone", "give either phone or group, not both")
		return "", ""
	case hasPhone:
		return r.phone("phone", true), ""
	case hasGroup:
		return "", r.get("group")
	}
	r.fail("phone", "phone or group is required")
	return "", ""
}
