// Command willay is the whole service in one binary: the server, the
// terminal phone, and the tools staff use on flows, texts and data.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `willay: SMS and USSD for Peru's rural programs.

Usage:
  willay serve                              run the service (PORT, REDIS_URL, ...: see README)
  willay dial --phone +51... [--url URL]    a terminal phone; without --url, an in-process demo
  willay flows check [DIR]                  validate flows and texts; non-zero exit on errors
  willay locales export --missing --lang L  write what translators must still do
  willay locales import FILE                take translations back
  willay import KIND FILE.csv               import participants|coaches|savings|visits|transfers
  willay sms send --to PHONE --text TEXT    queue a one-off SMS
  willay sms log [--phone P] [--status S]   outgoing messages with their status history
  willay worker                             send queued SMS and reminders (serve does too, unless WILLAY_WORKER=false)
  willay reminders preview --phone PHONE    a participant's reminders to come, with their texts
  willay reminders plan [--dry-run]         plan the next days' reminders; totals per rule and day
  willay broadcast send|status|list|cancel  staff broadcasts to groups, communities, districts (see willay broadcast)
  willay load [flags]                       load test against a floor, for make bench
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "willay:", err)
	}
	os.Exit(code)
}

// run dispatches a command line; it returns the exit code.
func run(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) (int, error) {
	if len(args) == 0 {
		fmt.Fprint(errOut, usage)
		return 2, nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return code(serve(ctx, rest, out))
	case "dial":
		return code(dialCmd(ctx, rest, in, out))
	case "flows":
		return flowsCmd(rest, out)
	case "locales":
		return code(localesCmd(rest, out))
	case "import":
		return code(importCmd(ctx, rest, out, errOut))
	case "sms":
		return code(smsCmd(ctx, rest, out))
	case "reminders":
		return code(remindersCmd(ctx, rest, out))
	case "broadcast":
		return code(broadcastCmd(ctx, rest, out))
	case "worker":
		return code(workerCmd(ctx, out))
	case "load":
		return code(loadCmd(ctx, rest, out))
	case "help", "-h", "--help":
		fmt.Fprint(out, usage)
		return 0, nil
	}
	fmt.Fprint(errOut, usage)
	return 2, fmt.Errorf("unknown command %q", cmd)
}

func code(err error) (int, error) {
	if err != nil {
		return 1, err
	}
	return 0, nil
}

func logger(level string, out io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: l}))
}
