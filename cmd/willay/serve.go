package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/demo"
)

// serve runs the HTTP service until SIGTERM or SIGINT, then lets hops in
// flight finish. SIGHUP reloads flows and texts.
func serve(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.FromEnv(nil)
	if err != nil {
		return err
	}
	if err := cfg.CheckServe(); err != nil {
		return err
	}
	log := logger(cfg.LogLevel, os.Stderr)
	if cfg.USSD.Open && !cfg.USSD.Protected() {
		log.Warn("WILLAY_USSD_OPEN=true: the USSD endpoints accept hops from anyone, with no secret and from any address; " +
			"anyone who knows a phone number can read that family's data unless something in front of Willay stops them")
	}
	a, err := app.New(ctx, cfg, log, clockOf(ctx))
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Inbound.Spool().Ready(); err != nil {
		return err // an SMS that comes in while Redis is down would be lost
	}
	a.ReplaySpool(ctx)
	ln, err := net.Listen("tcp", ":"+cfg.Port)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 15 * time.Second}
	go reloadOnHUP(ctx, a)
	sent := make(chan error, 1)
	if cfg.SMS.Worker {
		go func() { sent <- a.SMS.Run(ctx) }()
		a.Background(ctx, cfg.SMS.Reminders)
	} else {
		close(sent)
	}
	banner(out, cfg, ln.Addr().(*net.TCPAddr).Port)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing hops in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-sent // the worker finishes its sends in flight
}

func reloadOnHUP(ctx context.Context, a *app.App) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			a.Loops.Do("reload", func() {
				if err := a.Reload(ctx); err != nil {
					a.Log.Error("reload refused; the running flows stay", "err", err)
					return
				}
				a.Log.Info("flows reloaded", "version", a.Library.Current().Version())
			})
		}
	}
}

func banner(out io.Writer, cfg config.Config, port int) {
	store := "Redis at REDIS_URL"
	if cfg.RedisURL == "" {
		store = "in-process Redis (data is lost on exit; set REDIS_URL for a real one)"
	}
	fmt.Fprintf(out, "Willay is listening on http://localhost:%d with %s.\n", port, store)
	query, flag := "", ""
	if cfg.USSD.Secret != "" {
		query, flag = "?secret=$WILLAY_USSD_SECRET", " --secret $WILLAY_USSD_SECRET"
	}
	fmt.Fprintf(out, "USSD gateway URL (Africa's Talking format): POST http://localhost:%d/ussd/africastalking%s\n", port, query)
	if cfg.Twilio.Enabled() {
		fmt.Fprintf(out, "SMS go to Twilio; its webhooks: %s/sms/twilio and %s/sms/twilio/status\n", cfg.PublicURL, cfg.PublicURL)
	} else if cfg.RedisURL == "" {
		fmt.Fprintln(out, "SMS go to the local outbox (no TWILIO_ACCOUNT_SID): each is logged below as \"sms to outbox\".")
	} else {
		fmt.Fprintln(out, "SMS go to the local outbox (no TWILIO_ACCOUNT_SID): they are logged, and `willay sms log` lists them.")
	}
	if !cfg.Demo {
		return
	}
	fmt.Fprintln(out, "\nDial from another terminal as one of the demo people:")
	for _, p := range demo.People {
		fmt.Fprintf(out, "  go run ./cmd/willay dial --url http://localhost:%d%s --phone %s   # %s\n", port, flag, p.Phone, p.Who)
	}
	fmt.Fprintf(out, "\nOr with curl: curl -d sessionId=s1 -d serviceCode='*500#' -d phoneNumber=%s -d text= 'http://localhost:%d/ussd/africastalking%s'\n", demo.Spanish, port, query)
}
