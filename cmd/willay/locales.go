package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/catalog"
	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/gsm"
)

// localesCmd is `willay locales export|import`.
func localesCmd(args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: willay locales export --missing --lang L [--out FILE] | willay locales import [--lang L] FILE")
	}
	cfg, err := config.FromEnv(demoEnv)
	if err != nil {
		return err
	}
	cat, err := catalog.Load(os.DirFS(cfg.Locales), ".")
	if err != nil {
		return err
	}
	switch args[0] {
	case "export":
		return localesExport(cat, args[1:], out)
	case "import":
		return localesImport(cat, cfg, args[1:], out)
	}
	return fmt.Errorf("unknown locales command %q: use export or import", args[0])
}

func localesExport(cat *catalog.Catalog, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("locales export", flag.ContinueOnError)
	missing := fs.Bool("missing", false, "only texts that are missing, drafts, or changed since review")
	lang := fs.String("lang", "", "the language to translate into: qu, shp, quz, ...")
	file := fs.String("out", "", "write to this file instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *lang == "" {
		return fmt.Errorf("locales export: --lang is required")
	}
	buf, err := cat.Export(*lang, !*missing)
	if err != nil {
		return err
	}
	if *file == "" {
		_, err = out.Write(buf)
		return err
	}
	return os.WriteFile(*file, buf, 0o644)
}

var translateName = regexp.MustCompile(`^translate\.([a-z]{2,3})\.yaml$`)

func localesImport(cat *catalog.Catalog, cfg config.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("locales import", flag.ContinueOnError)
	lang := fs.String("lang", "", "the language of the file (default: from a name like translate.qu.yaml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: willay locales import [--lang L] FILE")
	}
	file := fs.Arg(0)
	if *lang == "" {
		m := translateName.FindStringSubmatch(filepath.Base(file))
		if m == nil {
			return fmt.Errorf("locales import: say --lang, or name the file translate.LANG.yaml")
		}
		*lang = m[1]
	}
	buf, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	screens := app.Screens(cfg)
	check := func(lang, text string) string {
		norm := gsm.Normalize(text, gsm.Options{FoldAccents: cfg.FoldAccents, StripStress: lang == "shp"})
		if bad := gsm.NonGSM7(norm); len(bad) > 0 {
			return fmt.Sprintf("characters outside GSM-7 %q: write them plainly", string(bad))
		}
		if !screens.Limits.Fits(norm) {
			return "longer than one screen: shorten it"
		}
		return ""
	}
	n, problems, err := cat.Import(cfg.Locales, *lang, buf, check)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(out, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d texts cannot be taken; nothing was written", len(problems))
	}
	fmt.Fprintf(out, "%d texts written to %s as reviewed. Run `willay flows check`, then reload the service.\n", n, filepath.Join(cfg.Locales, *lang+".yaml"))
	return nil
}
