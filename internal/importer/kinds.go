package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/willay-pe/willay/internal/program"
)

// spec is what differs between kinds of file; the two passes are shared.
type spec[R any] struct {
	// parse builds the row, recording problems on r. Values of bad cells
	// are left empty.
	parse func(r *rec) R
	// dupKey is what must be unique within the file and the column blamed
	// on a repeat; key is "" when the row has no usable key.
	dupKey    func(row R) (col, key string)
	dupReason string // with the first line's number
	// lookup names the phone or group that must already be stored; nil
	// when the kind needs none.
	lookup func(row R) (ph, group string)
	apply  func(s Sink, ctx context.Context, rows []R) error
}

func participantSpec() spec[ParticipantRow] {
	return spec[ParticipantRow]{
		parse: func(r *rec) ParticipantRow {
			return ParticipantRow{
				Phone:     r.phone("phone", true),
				Name:      r.required("name"),
				Language:  r.language("language"),
				Community: r.get("community"),
				District:  r.get("district"),
				Region:    r.get("region"),
				Group:     r.required("group"),
				Coach:     r.phone("coach_phone", false),
			}
		},
		dupKey:    func(row ParticipantRow) (string, string) { return "phone", row.Phone },
		dupReason: "phone already on line %d",
		apply:     Sink.ApplyParticipants,
	}
}

func coachSpec() spec[CoachRow] {
	return spec[CoachRow]{
		parse: func(r *rec) CoachRow {
			return CoachRow{
				Phone:    r.phone("phone", true),
				Name:     r.required("name"),
				Language: r.language("language"),
				Group:    r.required("group"),
			}
		},
		dupKey: func(row CoachRow) (string, string) {
			if row.Phone == "" || row.Group == "" {
				return "phone", ""
			}
			return "phone", row.Phone + "\x00" + row.Group
		},
		dupReason: "this coach is already listed for this group on line %d",
		apply:     Sink.ApplyCoaches,
	}
}

func savingsSpec(e env) spec[SavingsRow] {
	return spec[SavingsRow]{
		parse: func(r *rec) SavingsRow {
			row := SavingsRow{Phone: r.phone("phone", true), AsOf: r.date("as_of")}
			row.Cents, _ = r.money("balance") // ParseMoney has no sign, so never below 0
			if row.AsOf > e.maxAsOf {
				r.fail("as_of", "is in the future; use the date the balance was taken")
				row.AsOf = ""
			}
			return row
		},
		dupKey:    func(row SavingsRow) (string, string) { return "phone", row.Phone },
		dupReason: "phone already on line %d",
		lookup:    func(row SavingsRow) (string, string) { return row.Phone, "" },
		apply:     Sink.ApplySavings,
	}
}

func visitSpec(e env) spec[EventRow] {
	return spec[EventRow]{
		parse: func(r *rec) EventRow {
			ph, group := r.target()
			ev := program.Event{Kind: r.oneOf("kind", program.Visit, program.Training, program.Meeting)}
			ev.Date, ev.Time = r.dateTime("starts_at", e.loc)
			ev.Place, ev.Topic = r.required("place"), r.get("topic")
			return newEventRow(ph, group, ev)
		},
		dupKey:    eventKey,
		dupReason: "the same event (phone or group, kind and starts_at) is already on line %d",
		lookup:    eventTarget,
		apply:     Sink.ApplyEvents,
	}
}

func transferSpec() spec[EventRow] {
	return spec[EventRow]{
		parse: func(r *rec) EventRow {
			ph, group := r.target()
			ev := program.Event{Kind: program.Transfer, Program: r.program("program"), Date: r.date("date")}
			cents, ok := r.money("amount")
			if ok && cents == 0 {
				r.fail("amount", "must be more than 0")
			}
			ev.Cents = cents
			ev.Place = r.required("place")
			return newEventRow(ph, group, ev)
		},
		dupKey:    eventKey,
		dupReason: "the same transfer (phone or group, program and date) is already on line %d",
		lookup:    eventTarget,
		apply:     Sink.ApplyEvents,
	}
}

// newEventRow sets the ID once the fields it is made of are all good.
func newEventRow(ph, group string, ev program.Event) EventRow {
	target := ""
	switch {
	case ph != "":
		target = "p:" + ph
	case group != "":
		target = "g:" + group
		ev.Group = group
	}
	complete := target != "" && ev.Kind != "" && ev.Date != "" &&
		(ev.Kind != program.Transfer || ev.Program != "")
	if complete {
		ev.ID = eventID(target, ev.Kind, ev.Program, ev.Date, ev.Time)
	}
	return EventRow{Phone: ph, Group: group, Event: ev}
}

// eventID leaves out place, topic and amount, so re-importing a corrected
// place or amount updates the same event instead of adding a second one.
func eventID(target, kind, prog, date, clock string) string {
	// Cells never hold control characters, so NUL cannot be forged inside one.
	sum := sha256.Sum256([]byte(strings.Join([]string{target, kind, prog, date, clock}, "\x00")))
	return hex.EncodeToString(sum[:8])
}

func eventKey(row EventRow) (string, string) {
	if row.Group != "" {
		return "group", row.Event.ID
	}
	return "phone", row.Event.ID
}

func eventTarget(row EventRow) (string, string) { return row.Phone, row.Group }
