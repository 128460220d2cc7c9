package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/flow"
)

// flowsCmd is `willay flows check [DIR]`: every problem, then a count; the
// exit code is 1 when there is any error.
func flowsCmd(args []string, out io.Writer) (int, error) {
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		return 2, fmt.Errorf("usage: willay flows check [DIR]")
	}
	cfg, err := config.FromEnv(demoEnv)
	if err != nil {
		return 2, err
	}
	flows, locales := cfg.Flows, cfg.Locales
	if len(args) == 2 {
		flows = args[1]
		// A flows folder given by hand is checked with the locales beside it.
		if sib := filepath.Join(filepath.Dir(filepath.Clean(flows)), "locales"); os.Getenv("WILLAY_LOCALES") == "" && isDir(sib) {
			locales = sib
		}
	}
	b, err := engine.LoadDirs(flows, locales)
	if err != nil {
		fmt.Fprintln(out, err)
		return 1, nil
	}
	errs, warns := 0, 0
	for _, p := range engine.Check(b, engine.Actions(), app.Screens(cfg)) {
		fmt.Fprintln(out, p)
		if p.Severity == flow.Error {
			errs++
		} else {
			warns++
		}
	}
	fmt.Fprintf(out, "%s, %s: %d errors, %d warnings (version %s)\n", flows, locales, errs, warns, b.Version())
	if errs > 0 {
		return 1, nil
	}
	return 0, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// demoEnv reads the environment but never requires production secrets:
// tools that only read files need no PIN key.
func demoEnv(k string) string {
	if k == "WILLAY_DEMO" {
		return "true"
	}
	return os.Getenv(k)
}
