package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/redisstore"
)

// importCmd is `willay import KIND FILE.csv` into REDIS_URL.
func importCmd(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	batch := fs.Int("batch", 1000, "rows per Redis pipeline")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("usage: willay import participants|coaches|savings|visits|transfers FILE.csv")
	}
	kind := importer.Kind(fs.Arg(0))
	if _, ok := importer.Headers[kind]; !ok {
		return fmt.Errorf("unknown kind %q: use participants, coaches, savings, visits or transfers", kind)
	}
	cfg, err := config.FromEnv(demoEnv)
	if err != nil {
		return err
	}
	if cfg.RedisURL == "" {
		return errors.New("REDIS_URL is not set: say which Redis to import into, e.g. REDIS_URL=redis://localhost:6379/0")
	}
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	store := redisstore.New(rdb, cfg.Prefix, redisstore.DefaultOptions(), nil)
	rep, err := importer.Import(ctx, kind, fs.Arg(1), store, importer.Options{Batch: *batch, Progress: os.Stderr, Location: cfg.TZ})
	for _, e := range rep.Errors {
		fmt.Fprintln(out, e)
	}
	if rep.MoreErrors > 0 {
		fmt.Fprintf(out, "... and %d more bad rows\n", rep.MoreErrors)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d rows imported into %s\n", kind, rep.Rows, cfg.Prefix)
	return nil
}
