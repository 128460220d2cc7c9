package importer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/willay-pe/willay/internal/program"
	"io"
	"os"
	"time"
)

// ErrBadRows is wrapped by the error Import returns when the check pass found
// problems. Report.Errors then lists them and the sink received nothing.
var ErrBadRows = errors.New("the file has rows to fix; nothing was imported")

// errChanged means the second read did not give what the first one checked.
// Batches verified before the change were applied; Apply is idempotent, so
// importing again is safe.
var errChanged = errors.New("the file changed while it was being imported; import it again")

// Options tune an import. The zero value is usable.
type Options struct {
	Batch     int            // rows per Sink call, default 1000
	Progress  io.Writer      // a progress bar goes here when it is a terminal; otherwise nothing is written
	Location  *time.Location // for validating local dates and times, default time.Local
	MaxErrors int            // Report.Errors holds at most this many (default 1000); the rest are only counted
}

func (o Options) withDefaults() Options {
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.MaxErrors <= 0 {
		o.MaxErrors = 1000
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	return o
}

// RowError is one problem in the file, located so a program officer can find
// the cell in the spreadsheet. Column is empty for problems with a whole line.
type RowError struct {
	Line   int
	Column string
	Value  string
	Reason string
}

func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d, column %s, value %q: %s", e.Line, e.Column, e.Value, e.Reason)
}

// Report tells what an import found and did.
type Report struct {
	Kind       Kind
	Rows       int        // data lines in the file, blank lines not counted
	Applied    bool       // every row was handed to the sink
	Errors     []RowError // in file order, at most Options.MaxErrors
	MoreErrors int        // problems found beyond Options.MaxErrors
}

// Import checks the file at path and, only when every row is good, reads it
// again and applies it in batches. The file is streamed on both passes.
func Import(ctx context.Context, kind Kind, path string, sink Sink, o Options) (Report, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Report{Kind: kind}, fmt.Errorf("import %s: %w", kind, err)
	}
	open := func() (io.ReadCloser, error) { return os.Open(path) }
	return run(ctx, kind, source{open: open, size: info.Size()}, sink, o)
}

// ImportReader is Import for data that is not a file: open must return the
// same bytes on each call, because the file is read once to check and once to
// apply.
func ImportReader(ctx context.Context, kind Kind, open func() (io.ReadCloser, error), sink Sink, o Options) (Report, error) {
	return run(ctx, kind, source{open: open, size: -1}, sink, o)
}

// source opens the data anew for each pass; size is -1 when unknown.
type source struct {
	open func() (io.ReadCloser, error)
	size int64
}

func run(ctx context.Context, kind Kind, src source, sink Sink, o Options) (Report, error) {
	o = o.withDefaults()
	now := time.Now().In(o.Location)
	e := env{loc: o.Location, maxAsOf: now.AddDate(0, 0, 1).Format(dateLayout)}
	switch kind {
	case Participants:
		return importAs(ctx, kind, src, sink, o, participantSpec())
	case Coaches:
		return importAs(ctx, kind, src, sink, o, coachSpec())
	case Savings:
		return importAs(ctx, kind, src, sink, o, savingsSpec(e))
	case Visits:
		return importEvents(ctx, kind, src, sink, o, visitSpec(e), []string{program.Visit, program.Training, program.Meeting})
	case Transfers:
		return importEvents(ctx, kind, src, sink, o, transferSpec(), []string{program.Transfer})
	}
	return Report{Kind: kind}, fmt.Errorf("import: unknown kind %q; use participants, coaches, savings, visits or transfers", kind)
}

// importEvents imports visits or transfers. With a sink that can sweep, the
// file replaces, for every participant and group it names, their events of
// its kinds: one it no longer lists (moved or cancelled) is removed, so no
// reminder goes out for it. A third pass over the file does that, after
// every row is in.
func importEvents(ctx context.Context, kind Kind, src source, sink Sink, o Options, sp spec[EventRow], kinds []string) (Report, error) {
	sw, ok := sink.(Sweeper)
	if !ok {
		return importAs(ctx, kind, src, sink, o, sp)
	}
	run := newRun()
	apply := sp.apply
	sp.apply = func(s Sink, ctx context.Context, rows []EventRow) error {
		if err := apply(s, ctx, rows); err != nil {
			return err
		}
		return sw.MarkEvents(ctx, run, rows)
	}
	rep, err := importAs(ctx, kind, src, sink, o, sp)
	if err != nil || rep.Rows == 0 {
		return rep, err
	}
	sweep := sp
	sweep.apply = func(_ Sink, ctx context.Context, rows []EventRow) error { return sw.SweepEvents(ctx, run, kinds, rows) }
	c := newChecker(kind, sweep, sink, o)
	if err := c.run(ctx, src); err != nil {
		return rep, err
	}
	if err := newApplier(kind, sweep, sink, o, c.sums).run(ctx, src); err != nil {
		return rep, err
	}
	return rep, sw.EndRun(ctx, run)
}

func newRun() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// importAs runs both passes for one kind of row.
func importAs[R any](ctx context.Context, kind Kind, src source, sink Sink, o Options, sp spec[R]) (Report, error) {
	c := newChecker(kind, sp, sink, o)
	if err := c.run(ctx, src); err != nil {
		return c.rep, err
	}
	if n := len(c.rep.Errors) + c.rep.MoreErrors; n > 0 {
		return c.rep, fmt.Errorf("import %s: %d problems (first: %s): %w", kind, n, c.rep.Errors[0], ErrBadRows)
	}
	if c.rep.Rows > 0 {
		a := newApplier(kind, sp, sink, o, c.sums)
		if err := a.run(ctx, src); err != nil {
			return c.rep, err
		}
	}
	c.rep.Applied = true
	return c.rep, nil
}
