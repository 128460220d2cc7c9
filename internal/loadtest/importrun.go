package loadtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/redisstore"
)

// GoalBytesPerParticipant is the memory budget `willay load import` checks.
const GoalBytesPerParticipant = 1024

// ImportOptions tune `willay load import`.
type ImportOptions struct {
	RedisURL     string // "" or unreachable: an in-process miniredis
	Participants int    // default 1,000,000
	Dir          string // where the CSVs go and stay; "" is a temporary directory removed afterwards
	Batch        int    // rows per Redis pipeline, default 1000
	Location     *time.Location
	Out          io.Writer // the report, default discarded
	// Inspect, when set, runs after the import and before the keys are
	// deleted, on the store holding the imported data.
	Inspect func(ctx context.Context, s *redisstore.Store) error
}

func (o ImportOptions) withDefaults() (ImportOptions, error) {
	if o.Participants <= 0 {
		o.Participants = 1_000_000
	}
	if o.Participants > 100_000_000 {
		return o, fmt.Errorf("at most 100,000,000 participants: phones are 9 digits starting with 9")
	}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.Location == nil {
		loc, err := time.LoadLocation("America/Lima")
		if err != nil {
			return o, err
		}
		o.Location = loc
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	return o, nil
}

// FileResult is one imported file.
type FileResult struct {
	Kind    importer.Kind
	Rows    int
	Elapsed time.Duration
}

// ImportReport is what an import run measured.
type ImportReport struct {
	Prefix    string
	Files     []FileResult
	Rows      int
	Generate  time.Duration // writing the CSVs
	Wall      time.Duration // importing all four files
	Memory    memoryEstimate
	Deleted   int // keys removed at the end
	Left      int // keys a final scan still found under the prefix
	RedisNote string
}

// RunImport writes a synthetic program to CSV, imports it file by file
// through the importer and the Redis sink, measures Redis memory per
// participant and deletes every key it wrote.
func RunImport(ctx context.Context, o ImportOptions) (rep ImportReport, err error) {
	if o, err = o.withDefaults(); err != nil {
		return rep, err
	}
	dir, removeDir, err := csvDir(o.Dir)
	if err != nil {
		return rep, err
	}
	defer removeDir()
	be, err := openRedis(ctx, o.RedisURL)
	if err != nil {
		return rep, err
	}
	defer be.close()
	rep.Prefix, rep.RedisNote = newPrefix(), be.note
	defer func() { rep.Deleted, rep.Left, err = cleanUp(o.Out, be, rep.Prefix, err) }()
	if be.note != "" {
		fmt.Fprintf(o.Out, "note: %s; memory numbers are then miniredis's, not Redis's\n", be.note)
	}
	fmt.Fprintf(o.Out, "willay load import: %d participants, batch %d, redis %s, keys under %s\n", o.Participants, o.Batch, be.describe(), rep.Prefix)
	paths, err := rep.generate(dir, o)
	if err != nil {
		return rep, err
	}
	store := redisstore.New(be.client, rep.Prefix, redisstore.DefaultOptions(), nil)
	before := snapshot(ctx, be)
	if err := rep.importAll(ctx, store, paths, o); err != nil {
		return rep, err
	}
	if rep.Memory, err = estimate(ctx, be, rep.Prefix, o.Participants, before); err != nil {
		return rep, err
	}
	rep.print(o.Out)
	if o.Inspect != nil {
		return rep, o.Inspect(ctx, store)
	}
	return rep, nil
}

// csvDir is dir, created if needed, or a fresh temporary directory that
// the returned function removes.
func csvDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	tmp, err := os.MkdirTemp("", "willay-load-import-")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { _ = os.RemoveAll(tmp) }, nil
}

func (rep *ImportReport) generate(dir string, o ImportOptions) (map[importer.Kind]string, error) {
	start := time.Now()
	paths, err := writeFiles(dir, o.Participants, time.Now().In(o.Location))
	rep.Generate = time.Since(start)
	if err != nil {
		return nil, err
	}
	var size int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			size += st.Size()
		}
	}
	fmt.Fprintf(o.Out, "generated 4 CSV files, %.1f MB, in %s into %s\n", float64(size)/1e6, rep.Generate.Round(time.Millisecond), dir)
	return paths, nil
}

// importAll imports the files in order, reporting each as it finishes:
// a million-participant run takes minutes.
func (rep *ImportReport) importAll(ctx context.Context, store *redisstore.Store, paths map[importer.Kind]string, o ImportOptions) error {
	start := time.Now()
	for _, kind := range importOrder {
		t := time.Now()
		ir, err := importer.Import(ctx, kind, paths[kind], store, importer.Options{Batch: o.Batch, Location: o.Location})
		if err == nil && !ir.Applied {
			err = fmt.Errorf("import %s: not applied", kind)
		}
		if err != nil {
			return err
		}
		f := FileResult{Kind: kind, Rows: ir.Rows, Elapsed: time.Since(t)}
		rep.Files, rep.Rows = append(rep.Files, f), rep.Rows+f.Rows
		fmt.Fprintf(o.Out, "  %-12s %9d rows in %9s  %8.0f rows/s\n", kind, f.Rows, f.Elapsed.Round(time.Millisecond), rate(f.Rows, f.Elapsed))
	}
	rep.Wall = time.Since(start)
	return nil
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func (rep ImportReport) print(out io.Writer) {
	fmt.Fprintf(out, "  %-12s %9d rows in %9s  %8.0f rows/s\n", "overall", rep.Rows, rep.Wall.Round(time.Millisecond), rate(rep.Rows, rep.Wall))
	rep.Memory.print(out)
}
