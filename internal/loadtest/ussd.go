package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"
)

// The goals `willay load ussd` reports against.
const (
	GoalThroughputRatio = 0.80 // willay hops/s over floor hops/s, at least
	GoalP99Ratio        = 1.30 // willay p99 over floor p99, at most
)

// USSDOptions tune `willay load ussd`.
type USSDOptions struct {
	RedisURL string        // "" or unreachable: an in-process miniredis
	Phones   int           // concurrent virtual phones, default 64
	Duration time.Duration // per measured round, default 10s
	Warmup   time.Duration // per side before the first round, default 2s
	Rounds   int           // measured rounds per side, default 2
	// Getenv supplies the rest of Willay's configuration (flows, locales,
	// time zone); default os.Getenv. Redis, prefix and demo are the run's.
	Getenv func(string) string
	Log    *slog.Logger // Willay's log, default discarded
	Out    io.Writer    // the report, default discarded
}

func (o USSDOptions) withDefaults() USSDOptions {
	if o.Phones <= 0 {
		o.Phones = 64
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	if o.Rounds <= 0 {
		o.Rounds = 2
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	return o
}

// USSDReport is what a run measured.
type USSDReport struct {
	Prefix     string
	Rounds     []Round // in the order they ran, warm-ups included
	Floor      Round   // the floor's best measured round
	Willay     Round   // Willay's best measured round
	Throughput float64 // Willay.HopsPerSecond / Floor.HopsPerSecond
	P99        float64 // Willay.P99 / Floor.P99
	Errors     int     // over every round, warm-ups included
}

// ThroughputMet tells whether the throughput goal was reached.
func (r USSDReport) ThroughputMet() bool { return r.Throughput >= GoalThroughputRatio }

// P99Met tells whether the tail latency goal was reached.
func (r USSDReport) P99Met() bool { return r.P99 > 0 && r.P99 <= GoalP99Ratio }

// RunUSSD measures the floor and Willay alternately on the same Redis and
// loopback, prints the report to o.Out and deletes every key it wrote.
func RunUSSD(ctx context.Context, o USSDOptions) (rep USSDReport, err error) {
	o = o.withDefaults()
	be, err := openRedis(ctx, o.RedisURL)
	if err != nil {
		return rep, err
	}
	defer be.close()
	rep.Prefix = newPrefix()
	defer func() { _, _, err = cleanUp(o.Out, be, rep.Prefix, err) }()
	if be.note != "" {
		fmt.Fprintln(o.Out, "note:", be.note)
	}
	targets, stop, err := startBoth(ctx, be.url, rep.Prefix, o)
	if err != nil {
		return rep, err
	}
	defer stop()
	fmt.Fprintf(o.Out, "willay load ussd: %d phones, sessions \"\" -> 3 -> 3*00, redis %s, keys under %s\n", o.Phones, be.describe(), rep.Prefix)
	fmt.Fprintf(o.Out, "floor:  %s (gin.New, form parse, one pipelined GET+SET)\nwillay: %s (app.New with demo data)\n", targets[0], targets[1])
	d := &driver{client: newHTTPClient(o.Phones), phones: o.Phones}
	defer d.client.CloseIdleConnections()
	if rep.Rounds, err = d.schedule(ctx, targets, o); err != nil {
		return rep, err
	}
	rep.summarize()
	rep.print(o)
	return rep, nil
}

// startBoth starts the floor and Willay; targets are their hop URLs, in
// that order.
func startBoth(ctx context.Context, redisURL, prefix string, o USSDOptions) ([2]string, func(), error) {
	var targets [2]string
	floorURL, stopFloor, err := startFloor(redisURL, prefix)
	if err != nil {
		return targets, nil, err
	}
	willayURL, stopWillay, err := startWillay(ctx, redisURL, prefix, o.Getenv, o.Log)
	if err != nil {
		stopFloor()
		return targets, nil, err
	}
	return [2]string{floorURL, willayURL}, func() { stopWillay(); stopFloor() }, nil
}

// schedule warms each side up, then alternates measured rounds, so that
// whatever else the machine does at some moment falls on both sides.
func (d *driver) schedule(ctx context.Context, targets [2]string, o USSDOptions) ([]Round, error) {
	sides := [2]string{"floor", "willay"}
	var rounds []Round
	run := func(side int, label string, dur time.Duration) error {
		r, err := d.round(ctx, sides[side], label, targets[side], dur)
		rounds = append(rounds, r)
		return err
	}
	for side := range sides {
		if o.Warmup > 0 {
			if err := run(side, "warm-up", o.Warmup); err != nil {
				return rounds, err
			}
		}
	}
	for i := 1; i <= o.Rounds; i++ {
		for side := range sides {
			if err := run(side, fmt.Sprint(i), o.Duration); err != nil {
				return rounds, err
			}
		}
	}
	return rounds, nil
}

// summarize keeps each side's best measured round (highest hops/s, with
// that round's latencies): on a shared, noisy machine the best round is the
// one least disturbed by others, and that holds for both sides alike.
func (rep *USSDReport) summarize() {
	for _, r := range rep.Rounds {
		rep.Errors += r.Errors
		if r.Label == "warm-up" {
			continue
		}
		best := &rep.Floor
		if r.Side == "willay" {
			best = &rep.Willay
		}
		if r.HopsPerSecond() > best.HopsPerSecond() {
			*best = r
		}
	}
	if f := rep.Floor.HopsPerSecond(); f > 0 {
		rep.Throughput = rep.Willay.HopsPerSecond() / f
	}
	if rep.Floor.P99 > 0 {
		rep.P99 = float64(rep.Willay.P99) / float64(rep.Floor.P99)
	}
}

func (rep USSDReport) print(o USSDOptions) {
	fmt.Fprintf(o.Out, "\n%d phones; warm-up %s per side, then %d rounds of %s per side, alternating\n", o.Phones, o.Warmup, o.Rounds, o.Duration)
	tw := tabwriter.NewWriter(o.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "side\tround\thops/s\thops\terrors\tp50\tp99")
	for _, r := range rep.Rounds {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%d\t%d\t%s\t%s\n", r.Side, r.Label, r.HopsPerSecond(), r.Hops, r.Errors, ms(r.P50), ms(r.P99))
	}
	_ = tw.Flush()
	fmt.Fprintln(o.Out, "\nbest measured round of each side (highest hops/s, with that round's latencies):")
	for _, r := range []Round{rep.Floor, rep.Willay} {
		fmt.Fprintf(o.Out, "  %-6s  %8.0f hops/s  p50 %s  p99 %s\n", r.Side, r.HopsPerSecond(), ms(r.P50), ms(r.P99))
	}
	fmt.Fprintf(o.Out, "throughput ratio (willay/floor): %.2f (goal >= %.2f): %s\n", rep.Throughput, GoalThroughputRatio, Met(rep.ThroughputMet()))
	fmt.Fprintf(o.Out, "p99 ratio (willay/floor): %.2f (goal <= %.2f): %s\n", rep.P99, GoalP99Ratio, Met(rep.P99Met()))
	fmt.Fprintf(o.Out, "errors: %d\n", rep.Errors)
	for _, r := range rep.Rounds {
		if r.FirstError != "" {
			fmt.Fprintf(o.Out, "  first error, %s round %s: %s\n", r.Side, r.Label, r.FirstError)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// Met words a goal's outcome for the reports.
func Met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
