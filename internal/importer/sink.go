// Package importer owns `willay import`: it reads the program's CSV exports,
// checks every row, and only when the whole file is good hands the rows to
// a Sink in batches. Files are streamed, so a million rows need no more
// memory than one batch.
package importer

import (
	"context"

	"github.com/willay-pe/willay/internal/program"
)

// Kind is what a file holds.
type Kind string

const (
	Participants Kind = "participants"
	Coaches      Kind = "coaches"
	Savings      Kind = "savings"
	Visits       Kind = "visits"
	Transfers    Kind = "transfers"
)

// Headers are the exact CSV headers of each kind, in order.
var Headers = map[Kind][]string{
	Participants: {"phone", "name", "language", "community", "district", "region", "group", "coach_phone"},
	Coaches:      {"phone", "name", "language", "group"},
	Savings:      {"phone", "balance", "as_of"},
	Visits:       {"phone", "group", "kind", "starts_at", "place", "topic"},
	Transfers:    {"phone", "group", "program", "date", "amount", "place"},
}

// ParticipantRow is one line of a participants file, normalized.
type ParticipantRow struct {
	Phone, Name, Language, Community, District, Region, Group, Coach string
}

// CoachRow is one line of a coaches file: one group a coach leads.
type CoachRow struct {
	Phone, Name, Language, Group string
}

// SavingsRow is one balance.
type SavingsRow struct {
	Phone string
	Cents int64
	AsOf  string // YYYY-MM-DD
}

// EventRow is a visit, training, meeting or transfer for one participant
// (Phone) or for every member of a group (Group); exactly one is set.
type EventRow struct {
	Phone, Group string
	Event        program.Event
}

// Sink stores what an import brings. Every Apply must be idempotent:
// applying the same rows twice leaves storage as applying them once.
type Sink interface {
	// KnownPhones tells, for each phone, whether a participant has it.
	KnownPhones(ctx context.Context, phones []string) ([]bool, error)
	// KnownGroups tells, for each group, whether it has any participant.
	KnownGroups(ctx context.Context, groups []string) ([]bool, error)
	ApplyParticipants(ctx context.Context, rows []ParticipantRow) error
	ApplyCoaches(ctx context.Context, rows []CoachRow) error
	ApplySavings(ctx context.Context, rows []SavingsRow) error
	ApplyEvents(ctx context.Context, rows []EventRow) error
}

// Sweeper is a Sink that lets a visits or transfers file replace, for each
// participant and group it names, the events of its kinds: MarkEvents
// records what one import run brought, and SweepEvents then removes, from
// the rows' participants and groups, the events of those kinds that the
// run did not bring. Both must be idempotent.
type Sweeper interface {
	MarkEvents(ctx context.Context, run string, rows []EventRow) error
	SweepEvents(ctx context.Context, run string, kinds []string, rows []EventRow) error
	// EndRun forgets what the run brought, once its sweep is done.
	EndRun(ctx context.Context, run string) error
}
