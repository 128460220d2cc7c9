package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/phone"
)

// remindersCmd is `willay reminders preview --phone P | plan --dry-run`.
func remindersCmd(ctx context.Context, args []string, out io.Writer) error {
	return runVerb(ctx, "reminders", "usage: willay reminders preview --phone PHONE | willay reminders plan [--dry-run] [--days N]",
		args, out, map[string]verb{"preview": remindersPreview, "plan": remindersPlan})
}

func remindersPreview(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("reminders preview", flag.ContinueOnError)
	ph := fs.String("phone", "", "the participant")
	if err := fs.Parse(args); err != nil {
		return err
	}
	num, err := phone.Normalize(*ph)
	if err != nil {
		return err
	}
	list, err := a.Reminders.Preview(ctx, num)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(out, "no reminders to come (not a participant, or no upcoming events)")
	}
	for _, p := range list {
		if p.Skipped != "" {
			fmt.Fprintf(out, "skipped           %-24s %s\n", p.Rule, p.Skipped)
			continue
		}
		fmt.Fprintf(out, "%s  %-24s %s\n", p.At.Format("2006-01-02 15:04"), p.Rule, p.Text) // the participant's local time
	}
	return nil
}

func remindersPlan(ctx context.Context, a *app.App, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("reminders plan", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "count only; change nothing")
	days := fs.Int("days", 2, "how many days ahead")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a.Reminders.Window = time.Duration(*days) * 24 * time.Hour
	st, err := a.Reminders.Plan(ctx, *dry)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d participants: %d reminders planned, %d skipped, in the next %d days\n", st.Participants, st.Planned, st.Skipped, *days)
	printCounts(out, "by rule", st.ByRule)
	printCounts(out, "by day", st.ByDay)
	return nil
}

func printCounts(out io.Writer, title string, m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(out, title+":")
	for _, k := range keys {
		fmt.Fprintf(out, "  %-26s %d\n", k, m[k])
	}
}
