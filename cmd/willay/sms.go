package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/sms"
)

// smsCmd is `willay sms send|log` against REDIS_URL.
func smsCmd(ctx context.Context, args []string, out io.Writer) error {
	return runVerb(ctx, "sms", "usage: willay sms send --to PHONE --text TEXT | willay sms log [--phone PHONE] [--status S] [--limit N]",
		args, out, map[string]verb{"send": smsSend, "log": smsLog})
}

// verb is one subcommand of a command that works on an installation's data.
type verb func(ctx context.Context, a *app.App, args []string, out io.Writer) error

// runVerb runs the verb args[0] names, connected over REDIS_URL. An
// unknown verb is refused before anything is connected.
func runVerb(ctx context.Context, name, usage string, args []string, out io.Writer, verbs map[string]verb) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	v, ok := verbs[args[0]]
	if !ok {
		return fmt.Errorf("unknown %s command %q\n%s", name, args[0], usage)
	}
	a, err := connected(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	return v(ctx, a, args[1:], out)
}

// connected builds the service over REDIS_URL, for commands that work on a
// running installation's data.
func connected(ctx context.Context) (*app.App, error) {
	cfg, err := config.FromEnv(demoEnv)
	if err != nil {
		return nil, err
	}
	if cfg.RedisURL == "" {
		return nil, fmt.Errorf("REDIS_URL is not set: say which Redis the service uses, e.g. REDIS_URL=redis://localhost:6379/0")
	}
	cfg.Demo = false
	return app.New(ctx, cfg, logger("error", os.Stderr), clockOf(ctx))
}

func smsSend(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sms send", flag.ContinueOnError)
	to := fs.String("to", "", "the phone number")
	text := fs.String("text", "", "the message")
	lang := fs.String("lang", "es", "the language of the text (shp drops stress accents)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	num, err := phone.Normalize(*to)
	if err != nil {
		return err
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	m, err := a.SMS.Send(ctx, outbound.Request{ID: "oneoff:" + hex.EncodeToString(b), To: num, Lang: *lang, Text: *text, Kind: "oneoff"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "queued %s to %s: %d segment(s) in %s\n", m.ID, num, m.Segments, m.Encoding)
	return nil
}

func smsLog(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sms log", flag.ContinueOnError)
	ph := fs.String("phone", "", "only messages to this number")
	status := fs.String("status", "", "only messages in this status: queued sending sent delivered undelivered failed")
	limit := fs.Int("limit", 50, "at most this many, newest first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	num := ""
	if *ph != "" {
		var err error
		if num, err = phone.Normalize(*ph); err != nil {
			return err
		}
	}
	msgs, err := a.Store.Messages(ctx, num, sms.Status(*status), *limit)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTO\tKIND\tSTATUS\tSEG\tTEXT")
	for _, m := range msgs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d %s\t%s\n", m.ID, phone.Mask(m.To), m.Kind, m.Status(), m.Segments, m.Encoding, oneLine(m.Text, 60))
		for _, st := range m.History {
			note := ""
			if st.Code != 0 || st.Error != "" {
				note = fmt.Sprintf("code %d: %s", st.Code, st.Error)
			}
			fmt.Fprintf(w, "\t\t\t  %s\t%s\t%s\n", st.Status, st.At.Format("2006-01-02 15:04:05"), note)
		}
	}
	return w.Flush()
}

func oneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " / ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
