package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/gsm"
	"github.com/willay-pe/willay/internal/sms"
)

const broadcastUsage = `usage:
  willay broadcast send  (--template T [--date DDMM] [--time HHMM] | --text-es TEXT [--text-qu TEXT] [--text-shp TEXT] [--fallback-es])
                         (--group G,... | --community C,... | --district D,...) [--at "YYYY-MM-DD HH:MM"] [--from NAME] [--yes]
  willay broadcast status ID
  willay broadcast list [--n 20]
  willay broadcast cancel ID
templates: visit (tomorrow; --time), meeting, training, savings (--date --time), payment (--date)`

// broadcastCmd is staff's way to send what coaches send, and more: to
// groups, communities or districts, templated or free text per language,
// now or at a set time. Without --yes it only shows what would be sent.
func broadcastCmd(ctx context.Context, args []string, out io.Writer) error {
	return runVerb(ctx, "broadcast", broadcastUsage, args, out, map[string]verb{
		"send": broadcastSend, "status": broadcastStatus, "list": broadcastList, "cancel": broadcastCancel})
}

func broadcastList(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("broadcast list", flag.ContinueOnError)
	n := fs.Int("n", 20, "how many, newest first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bs, err := a.Broadcasts.Mine(ctx, "", *n)
	if err != nil {
		return err
	}
	for _, b := range bs {
		fmt.Fprintf(out, "%s  %s  %-9s %5d  %-22s %s  %s\n", b.ID, b.Created.In(a.Config.TZ).Format("2006-01-02 15:04"),
			b.Status, b.Count, oneLine(what(b), 22), b.Target(), b.By)
	}
	return nil
}

func broadcastCancel(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New(broadcastUsage)
	}
	if err := a.Broadcasts.Cancel(ctx, args[0], ""); err != nil {
		return err
	}
	fmt.Fprintf(out, "broadcast %s cancelled: nothing will be sent\n", args[0])
	return nil
}

func what(b *broadcast.Broadcast) string {
	if b.Template != "" {
		return b.Template + " " + b.Date + " " + b.Time
	}
	return b.Texts["es"]
}

func list(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func broadcastSend(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("broadcast send", flag.ContinueOnError)
	tpl := fs.String("template", "", "visit, meeting, training, payment or savings")
	date := fs.String("date", "", "the event's day: DDMM (the next such day) or YYYY-MM-DD")
	clock := fs.String("time", "", "the event's time: HHMM or HH:MM")
	texts := map[string]*string{}
	for _, l := range []string{"es", "qu", "shp"} {
		texts[l] = fs.String("text-"+l, "", "free text for recipients reading "+l)
	}
	fallback := fs.Bool("fallback-es", false, "send the Spanish text to recipients whose language has no text")
	groups := fs.String("group", "", "group IDs, comma-separated")
	comms := fs.String("community", "", "communities, comma-separated")
	dists := fs.String("district", "", "districts, comma-separated")
	at := fs.String("at", "", `when to send, local time "YYYY-MM-DD HH:MM" (default now)`)
	from := fs.String("from", "", "who sends it (for the log; templates name each recipient's own yachachiq)")
	yes := fs.Bool("yes", false, "send; without it, only show what would be sent")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("say who sends it: --from NAME (e.g. --from \"Oficina Yauli\")")
	}
	now := a.Now().In(a.Config.TZ)
	b := &broadcast.Broadcast{By: "staff:" + *from, ByName: *from, ByLang: "es", Template: *tpl, Fallback: *fallback,
		Groups: list(*groups), Communities: list(*comms), Districts: list(*dists), Texts: map[string]string{}}
	for l, t := range texts {
		if *t != "" {
			b.Texts[l] = *t
		}
	}
	if err := readWhat(b, *date, *clock, now); err != nil {
		return err
	}
	if len(b.Groups)+len(b.Communities)+len(b.Districts) == 0 {
		return errors.New("say who gets it: --group, --community or --district")
	}
	if *at != "" {
		t, err := time.ParseInLocation("2006-01-02 15:04", *at, a.Config.TZ)
		if err != nil {
			return fmt.Errorf(`--at: want "YYYY-MM-DD HH:MM" in %s: %w`, a.Config.TZ, err)
		}
		if t.Before(now) {
			return fmt.Errorf("--at %s has passed", *at)
		}
		b.At = t
	}
	if !*yes {
		return broadcastPreview(ctx, a, b, out)
	}
	count, err := a.Broadcasts.Create(ctx, b)
	var le *broadcast.LangError
	if errors.As(err, &le) {
		return fmt.Errorf("%w (nothing sent)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "broadcast %s: %d recipients, leaves at %s (a running willay serve or worker sends it)\n",
		b.ID, count, b.At.In(a.Config.TZ).Format("2006-01-02 15:04"))
	fmt.Fprintf(out, "follow it with: willay broadcast status %s\n", b.ID)
	return nil
}

// readWhat checks the template and its date and time, or the free texts.
func readWhat(b *broadcast.Broadcast, date, clock string, now time.Time) error {
	if b.Template == "" {
		if len(b.Texts) == 0 {
			return errors.New("say what to send: --template, or --text-es (and --text-qu, --text-shp)")
		}
		return nil
	}
	if len(b.Texts) > 0 {
		return errors.New("--template or free texts (--text-LANG), not both")
	}
	t, ok := broadcast.TemplateByID(b.Template)
	if !ok {
		return fmt.Errorf("unknown template %q: visit, meeting, training, payment or savings", b.Template)
	}
	switch {
	case !t.Date && date != "":
		return fmt.Errorf("template %s is for tomorrow: it takes no --date", t.ID)
	case !t.Date:
		b.Date = now.AddDate(0, 0, 1).Format("2006-01-02")
	case date == "":
		return fmt.Errorf("template %s needs --date", t.ID)
	default:
		d, err := time.ParseInLocation("2006-01-02", date, now.Location())
		if err != nil {
			var ok bool
			if d, ok = broadcast.ParseDay(date, now); !ok {
				return fmt.Errorf("--date %q: want DDMM within the next %d days, or YYYY-MM-DD", date, int(broadcast.Window.Hours()/24))
			}
		}
		b.Date = d.Format("2006-01-02")
	}
	switch {
	case !t.Time && clock != "":
		return fmt.Errorf("template %s takes no --time", t.ID)
	case t.Time && clock == "":
		return fmt.Errorf("template %s needs --time", t.ID)
	case t.Time:
		hm, ok := broadcast.ParseClock(strings.ReplaceAll(clock, ":", ""))
		if !ok {
			return fmt.Errorf("--time %q: want HHMM or HH:MM", clock)
		}
		b.Time = hm
	}
	return nil
}

// broadcastPreview shows who would get what, and sends nothing.
func broadcastPreview(ctx context.Context, a *app.App, b *broadcast.Broadcast, out io.Writer) error {
	phones, err := a.Broadcasts.Recipients(ctx, b)
	if err != nil {
		return err
	}
	people, err := a.Store.People(ctx, phones)
	if err != nil {
		return err
	}
	byLang := map[string]int{}
	sample := map[string]broadcast.Recipient{} // one recipient per language, to show their text
	for _, p := range people {
		if p.Lang != "" {
			l := a.Engine.Resolve(p.Lang)
			if byLang[l]++; byLang[l] == 1 {
				sample[l] = p
			}
		}
	}
	fmt.Fprintf(out, "%d recipients (%s)\n", len(phones), b.Target())
	langs := make([]string, 0, len(byLang))
	for l := range byLang {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	missing := false
	for _, l := range langs {
		text := a.Broadcasts.TextFor(b, sample[l])
		if text == "" {
			missing = true
			fmt.Fprintf(out, "  %-4s %5d  (no text: they would get nothing; give --text-%s or --fallback-es)\n", l, byLang[l], l)
			continue
		}
		// As the pipeline will send it, and what it costs.
		sent := gsm.Normalize(text, gsm.Options{FoldAccents: a.Config.FoldAccents, StripStress: l == "shp"})
		enc, segs := gsm.Segments(sent)
		fmt.Fprintf(out, "  %-4s %5d  %s  [%d SMS, %s]\n", l, byLang[l], sent, segs, enc)
	}
	switch {
	case len(phones) == 0:
		fmt.Fprintln(out, "nobody to send to: check the group, community or district names")
	case missing:
		fmt.Fprintln(out, "nothing sent: some languages have no text")
	default:
		fmt.Fprintln(out, "nothing sent yet: run again with --yes to send")
	}
	return nil
}

func broadcastStatus(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New(broadcastUsage)
	}
	r, err := a.Broadcasts.Report(ctx, args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "broadcast %s by %s, made %s, leaves %s\n", r.ID, r.By,
		r.Created.In(a.Config.TZ).Format("2006-01-02 15:04"), r.At.In(a.Config.TZ).Format("2006-01-02 15:04"))
	fmt.Fprintf(out, "to %s: %d recipients; %s\n", r.Target(), r.Count, what(r.Broadcast))
	fmt.Fprintf(out, "status: %s\n", r.Status)
	if r.Status == broadcast.Scheduled || r.Status == broadcast.Cancelled {
		return nil
	}
	for _, st := range []sms.Status{sms.Queued, sms.Sending, sms.Sent, sms.Delivered, sms.Undelivered, sms.Failed, ""} {
		if n := r.Counts[st]; n > 0 {
			name := string(st)
			if st == "" {
				name = "not queued (unregistered, or no text in their language)"
			}
			fmt.Fprintf(out, "  %-11s %d\n", name, n)
		}
	}
	for i, p := range r.Unreached {
		if i == 20 {
			fmt.Fprintf(out, "  ... and %d more\n", len(r.Unreached)-20)
			break
		}
		fmt.Fprintf(out, "  not reached: %s %s\n", p.Phone, p.Name)
	}
	return nil
}
