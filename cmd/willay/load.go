package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/loadtest"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/scheduler"
)

const loadUsage = `Usage:
  willay load ussd   [--redis URL] [--phones 64] [--duration 10s] [--warmup 2s] [--cpuprofile FILE]
  willay load import [--redis URL] [--participants 1000000] [--dir DIR] [--batch 1000] [--cpuprofile FILE]
  willay load sms    [--redis URL] [--messages 20000] [--rate 0] [--duration 60s] [--concurrency 32] [--cpuprofile FILE]
  willay load broadcast [--redis URL] [--recipients 10000] [--flows flows] [--locales locales] [--cpuprofile FILE]
Without --redis: REDIS_URL, else ` + loadtest.DefaultRedisURL + `; an in-process Redis when that does not answer.`

// loadCmd is `willay load ussd|import|sms|broadcast`. These are measurements on a noisy
// machine, not tests: a missed goal is printed, and only errors fail.
func loadCmd(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("load: say what to load\n" + loadUsage)
	}
	switch args[0] {
	case "ussd":
		return loadUSSD(ctx, args[1:], out)
	case "import":
		return loadImport(ctx, args[1:], out)
	case "sms":
		return loadSMS(ctx, args[1:], out)
	case "broadcast":
		return loadBroadcast(ctx, args[1:], out)
	}
	return fmt.Errorf("load: unknown %q\n%s", args[0], loadUsage)
}

// commonFlags are --redis and --cpuprofile, which both loads take.
func commonFlags(fs *flag.FlagSet) (url, profile *string) {
	def := os.Getenv("REDIS_URL")
	if def == "" {
		def = loadtest.DefaultRedisURL
	}
	url = fs.String("redis", def, "the Redis to use (shared: only the run's own keys are written and deleted)")
	profile = fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	return url, profile
}

func loadUSSD(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load ussd", flag.ContinueOnError)
	url, profile := commonFlags(fs)
	phones := fs.Int("phones", 64, "concurrent virtual phones")
	duration := fs.Duration("duration", 10*time.Second, "length of each measured round, per side")
	warmup := fs.Duration("warmup", 2*time.Second, "warm-up per side before measuring")
	stop, err := parseAndProfile(fs, args, profile)
	if err != nil {
		return err
	}
	defer stop()
	rep, err := loadtest.RunUSSD(ctx, loadtest.USSDOptions{
		RedisURL: *url, Phones: *phones, Duration: *duration, Warmup: *warmup,
		Getenv: os.Getenv, Log: logger("error", os.Stderr), Out: out,
	})
	if err != nil {
		return err
	}
	if rep.Errors > 0 {
		return fmt.Errorf("load ussd: %d hops failed", rep.Errors)
	}
	return nil
}

func loadImport(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load import", flag.ContinueOnError)
	url, profile := commonFlags(fs)
	n := fs.Int("participants", 1_000_000, "synthetic participants to import")
	dir := fs.String("dir", "", "where to write the CSV files and keep them; default a temporary directory removed afterwards")
	batch := fs.Int("batch", 1000, "rows per Redis pipeline")
	plan := fs.Bool("plan", false, "then plan the reminders of the next 48 hours, timed, with the memory they add")
	stop, err := parseAndProfile(fs, args, profile)
	if err != nil {
		return err
	}
	defer stop()
	o := loadtest.ImportOptions{RedisURL: *url, Participants: *n, Dir: *dir, Batch: *batch, Out: out}
	if *plan {
		o.Inspect = func(ctx context.Context, s *redisstore.Store) error { return planBenchmark(ctx, s, out) }
	}
	_, err = loadtest.RunImport(ctx, o)
	return err
}

// planBenchmark plans the imported participants' reminders as `serve`
// does, and reports the time and the Redis memory it adds.
func planBenchmark(ctx context.Context, s *redisstore.Store, out io.Writer) error {
	b, err := engine.LoadDirs("flows", "locales")
	if err != nil {
		return err
	}
	lima, _ := time.LoadLocation("America/Lima")
	e := engine.New(engine.Config{Store: s, Library: engine.NewLibrary(s, b), Actions: engine.Actions(), Location: lima})
	sch := scheduler.New(scheduler.Config{Store: s, Engine: e, Location: lima, Now: time.Now, Log: logger("error", os.Stderr)})
	before, err := s.UsedMemory(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	st, err := sch.Plan(ctx, false)
	if err != nil {
		return err
	}
	d := time.Since(start)
	after, _ := s.UsedMemory(ctx)
	keys, err := s.PlanMemory(ctx)
	if err != nil {
		return err
	}
	// used_memory also moves with what the import is still freeing; the
	// keys planning writes are counted exactly.
	fmt.Fprintf(out, "planning: %d participants, %d reminders due in 48 h, %d skipped, in %s (goal < 2 min: %s); "+
		"memory of the keys planning writes %.1f MiB (goal < 300 MiB: %s); used_memory moved %+.1f MiB\n",
		st.Participants, st.Planned, st.Skipped, d.Round(time.Millisecond), loadtest.Met(d < 2*time.Minute),
		float64(keys)/(1<<20), loadtest.Met(keys < 300<<20), float64(after-before)/(1<<20))
	return nil
}

// parseAndProfile reads a load command's flags, then starts the CPU
// profile they ask for; the returned func stops it.
func parseAndProfile(fs *flag.FlagSet, args []string, profile *string) (func(), error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return startProfile(*profile)
}

func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func loadSMS(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load sms", flag.ContinueOnError)
	url, profile := commonFlags(fs)
	n := fs.Int("messages", 20_000, "messages to queue and drain (without --rate)")
	rate := fs.Int("rate", 0, "account-wide limit to hold, messages per second; 0 measures the top speed")
	duration := fs.Duration("duration", time.Minute, "the measured window with --rate")
	conc := fs.Int("concurrency", 32, "sends in flight in the worker")
	stop, err := parseAndProfile(fs, args, profile)
	if err != nil {
		return err
	}
	defer stop()
	_, err = loadtest.RunSMS(ctx, loadtest.SMSOptions{RedisURL: *url, Messages: *n, Rate: *rate, Duration: *duration, Concurrency: *conc, Out: out})
	return err
}

func loadBroadcast(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("load broadcast", flag.ContinueOnError)
	url, profile := commonFlags(fs)
	n := fs.Int("recipients", 10_000, "members of the group the broadcast goes to")
	flows := fs.String("flows", "flows", "the flows folder (for the texts)")
	locales := fs.String("locales", "locales", "the locales folder")
	stop, err := parseAndProfile(fs, args, profile)
	if err != nil {
		return err
	}
	defer stop()
	_, err = loadtest.RunBroadcast(ctx, loadtest.BroadcastOptions{RedisURL: *url, Recipients: *n, Flows: *flows, Locales: *locales, Out: out})
	return err
}
