package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"strings"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/dial"
	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/server"
)

// dialCmd is the terminal phone. Without --url it starts Willay in-process
// on demo data, so it works on a machine with nothing else running.
func dialCmd(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("dial", flag.ContinueOnError)
	number := fs.String("phone", "", "the phone number to dial as (required)")
	url := fs.String("url", "", "a running Willay, e.g. http://localhost:8080; empty: in-process demo")
	code := fs.String("code", "*500#", "the service code dialed")
	secret := fs.String("secret", os.Getenv("WILLAY_USSD_SECRET"), "the server's WILLAY_USSD_SECRET (default: this environment's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *number == "" {
		return fmt.Errorf("dial: --phone is required, e.g. --phone +51900000001")
	}
	if _, err := phone.Normalize(*number); err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	base := strings.TrimRight(*url, "/")
	if base == "" {
		cfg, err := config.FromEnv(func(k string) string {
			if k == "REDIS_URL" || k == "WILLAY_DEMO" {
				return ""
			}
			return os.Getenv(k)
		})
		if err != nil {
			return err
		}
		a, err := app.New(ctx, cfg, logger("error", os.Stderr), clockOf(ctx))
		if err != nil {
			return err
		}
		defer a.Close()
		srv := httptest.NewServer(a.Handler)
		defer srv.Close()
		base = srv.URL
	}
	endpoint := base + "/ussd/africastalking"
	if *secret != "" {
		endpoint += "?" + server.SecretParam + "=" + neturl.QueryEscape(*secret)
	}
	p := &dial.Phone{URL: endpoint, Number: *number, ServiceCode: *code}
	return p.Run(ctx, in, out)
}
