package main

import (
	"context"
	"io"
	"os"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/config"
)

// workerCmd sends queued SMS, reminders and broadcasts until SIGTERM, without serving HTTP: for
// installations that run senders apart from the USSD servers.
func workerCmd(ctx context.Context, out io.Writer) error {
	cfg, err := config.FromEnv(nil)
	if err != nil {
		return err
	}
	cfg.Demo = false
	a, err := app.New(ctx, cfg, logger(cfg.LogLevel, os.Stderr), clockOf(ctx))
	if err != nil {
		return err
	}
	defer a.Close()
	a.Log.Info("worker started", "queue", a.Store.Keys().Queue())
	a.Background(ctx, cfg.SMS.Reminders)
	a.ReplaySpool(ctx) // the spool of a serve sharing WILLAY_SPOOL_DIR
	return a.SMS.Run(ctx)
}
