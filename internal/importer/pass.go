package importer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
)

const (
	reasonUnknownPhone = "no participant has this phone; fix the number or import the participants file first"
	reasonUnknownGroup = "no participant is in this group; check the spelling or import the participants file first"
)

// pending is a checked line waiting for its batch's sink lookups.
type pending struct {
	r         *rec
	ph, group string
}

// checker is the first pass: it finds every problem and applies nothing.
type checker[R any] struct {
	kind Kind
	sp   spec[R]
	sink Sink
	o    Options
	rep  Report
	// seen maps each key that must be unique (a phone, or a 16-character
	// event ID) to its first line. It grows with the file, but by short
	// strings only, never by rows: duplicates can be anywhere in the file.
	seen map[string]int
	// sums holds one SHA-256 per batch, so the apply pass can prove it
	// hands the sink exactly what was checked.
	sums  [][]byte
	h     hash.Hash
	batch []pending
}

func newChecker[R any](kind Kind, sp spec[R], sink Sink, o Options) *checker[R] {
	return &checker[R]{kind: kind, sp: sp, sink: sink, o: o, rep: Report{Kind: kind},
		seen: map[string]int{}, h: sha256.New()}
}

func (c *checker[R]) run(ctx context.Context, src source) error {
	sc, err := openScan(c.kind, src, c.o.Progress, "checking")
	if err != nil {
		return err
	}
	defer sc.close()
	// A wrong header makes every other message meaningless: stop there.
	if bad, err := sc.header(); err != nil || bad != nil {
		if bad != nil {
			c.add(*bad)
		}
		return err
	}
	for {
		r, err := sc.next()
		if err == io.EOF {
			return c.flush(ctx)
		}
		if err != nil {
			return err
		}
		c.take(r)
		if len(c.batch) == c.o.Batch {
			if err := c.flush(ctx); err != nil {
				return err
			}
		}
	}
}

func (c *checker[R]) add(e RowError) {
	if len(c.rep.Errors) < c.o.MaxErrors {
		c.rep.Errors = append(c.rep.Errors, e)
	} else {
		c.rep.MoreErrors++
	}
}

func (c *checker[R]) take(r *rec) {
	c.rep.Rows++
	digest(c.h, r)
	p := pending{r: r}
	if r.shaped() {
		row := c.sp.parse(r)
		c.dedup(r, row)
		if c.sp.lookup != nil {
			p.ph, p.group = c.sp.lookup(row)
		}
	}
	c.batch = append(c.batch, p)
}

func (c *checker[R]) dedup(r *rec, row R) {
	col, key := c.sp.dupKey(row)
	if key == "" {
		return
	}
	if first, ok := c.seen[key]; ok {
		r.fail(col, fmt.Sprintf(c.sp.dupReason, first))
		return
	}
	c.seen[key] = r.line
}

// flush asks the sink about the batch's phones and groups, then reports the
// batch's problems in file order.
func (c *checker[R]) flush(ctx context.Context) error {
	if len(c.batch) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import %s line %d: %w", c.kind, c.batch[0].r.line, err)
	}
	if err := c.ask(ctx, "phone", c.sink.KnownPhones, reasonUnknownPhone); err != nil {
		return err
	}
	if err := c.ask(ctx, "group", c.sink.KnownGroups, reasonUnknownGroup); err != nil {
		return err
	}
	for _, p := range c.batch {
		p.r.sortErrs()
		for _, e := range p.r.errs {
			c.add(e)
		}
	}
	c.sums = append(c.sums, c.h.Sum(nil))
	c.h.Reset()
	c.batch = c.batch[:0]
	return nil
}

// ask looks up the batch's phones (col "phone") or groups (col "group") and
// fails the cells the sink does not know.
func (c *checker[R]) ask(ctx context.Context, col string, known func(context.Context, []string) ([]bool, error), reason string) error {
	var keys []string
	var who []*rec
	for _, p := range c.batch {
		k := p.ph
		if col == "group" {
			k = p.group
		}
		if k != "" {
			keys, who = append(keys, k), append(who, p.r)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	found, err := known(ctx, keys)
	if err == nil && len(found) != len(keys) {
		err = fmt.Errorf("the sink gave %d answers for %d values", len(found), len(keys))
	}
	if err != nil {
		return fmt.Errorf("import %s line %d: checking which %ss exist: %w", c.kind, who[0].line, col, err)
	}
	for i, ok := range found {
		if !ok {
			who[i].fail(col, reason)
		}
	}
	return nil
}

// applier is the second pass: it re-reads the checked file and hands it to
// the sink batch by batch.
type applier[R any] struct {
	kind  Kind
	sp    spec[R]
	sink  Sink
	o     Options
	sums  [][]byte // from the checker
	n     int      // batches applied
	h     hash.Hash
	rows  []R
	first int // line of rows[0]
}

func newApplier[R any](kind Kind, sp spec[R], sink Sink, o Options, sums [][]byte) *applier[R] {
	return &applier[R]{kind: kind, sp: sp, sink: sink, o: o, sums: sums, h: sha256.New()}
}

func (a *applier[R]) run(ctx context.Context, src source) error {
	sc, err := openScan(a.kind, src, a.o.Progress, "applying")
	if err != nil {
		return err
	}
	defer sc.close()
	if bad, err := sc.header(); err != nil || bad != nil {
		if err == nil {
			err = a.changed(bad.Line)
		}
		return err
	}
	for {
		r, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := a.take(ctx, r); err != nil {
			return err
		}
	}
	if err := a.flush(ctx); err != nil {
		return err
	}
	if a.n != len(a.sums) {
		return fmt.Errorf("import %s: %w", a.kind, errChanged)
	}
	return nil
}

func (a *applier[R]) take(ctx context.Context, r *rec) error {
	var row R
	if r.shaped() {
		row = a.sp.parse(r)
	}
	if !r.shaped() || len(r.errs) > 0 {
		return a.changed(r.line)
	}
	if len(a.rows) == 0 {
		a.first = r.line
	}
	a.rows = append(a.rows, row)
	digest(a.h, r)
	if len(a.rows) == a.o.Batch {
		return a.flush(ctx)
	}
	return nil
}

// flush applies the batch only if it is the one the checker saw.
func (a *applier[R]) flush(ctx context.Context) error {
	if len(a.rows) == 0 {
		return nil
	}
	if a.n >= len(a.sums) || !bytes.Equal(a.h.Sum(nil), a.sums[a.n]) {
		return a.changed(a.first)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import %s line %d: %w", a.kind, a.first, err)
	}
	if err := a.sp.apply(a.sink, ctx, a.rows); err != nil {
		return fmt.Errorf("import %s line %d: %w", a.kind, a.first, err)
	}
	a.n++
	a.h.Reset()
	a.rows = nil // a new slice: the sink may keep the one it got
	return nil
}

func (a *applier[R]) changed(line int) error {
	return fmt.Errorf("import %s line %d: %w", a.kind, line, errChanged)
}

// digest feeds a line into h, length-prefixed so that no two different lines
// hash the same way.
func digest(h hash.Hash, r *rec) {
	fmt.Fprintf(h, "%d:%d;", r.line, len(r.vals))
	for _, v := range r.vals {
		fmt.Fprintf(h, "%d:%s;", len(v), v)
	}
}
