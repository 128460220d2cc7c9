package main

import (
	"context"
	"io"
	"os"
	"time"

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
	a, err := app.New(ctx, cfg, logger(cfg.LogLevel, os.Stderr), nil)
	if err != nil {
		return err
	}
	defer a.Close()
	a.Log.Info("worker started", "queue", a.Store.Keys().Queue())
	if cfg.SMS.Reminders {
		go a.Reminders.Run(ctx, time.Hour, 10*time.Second)
	}
	go a.Broadcasts.Run(ctx, 2*time.Second)
	go a.Inbound.Run(ctx, 2*time.Second) // the spool of a serve sharing WILLAY_SPOOL_DIR
	return a.SMS.Run(ctx)
}
