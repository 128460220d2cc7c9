package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/testredis"
)

// TestDialProtectedServer: `willay dial --url` reaches a server that wants
// a secret with --secret, and says why it cannot without.
func TestDialProtectedServer(t *testing.T) {
	const secret = "dial-test-secret-0123"
	r := testredis.New(t)
	r.Queue(t)
	env := map[string]string{"REDIS_URL": r.URL, "WILLAY_REDIS_PREFIX": r.Prefix, "WILLAY_DEMO": "true",
		"WILLAY_FLOWS": "../../flows", "WILLAY_LOCALES": "../../locales", "WILLAY_USSD_SECRET": secret,
		"WILLAY_PIN_KEY": strings.Repeat("ab", 32)}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	t.Setenv("WILLAY_USSD_SECRET", "") // the flag's default: nothing from this environment

	var out strings.Builder
	args := []string{"--url", srv.URL, "--phone", demo.Spanish, "--secret", secret}
	if err := dialCmd(context.Background(), args, strings.NewReader("q\n"), &out); err != nil || !strings.Contains(out.String(), "Hola Rosa") {
		t.Errorf("with --secret: %v\n%s", err, out.String())
	}
	err = dialCmd(context.Background(), args[:4], strings.NewReader("q\n"), io.Discard)
	if want := `a gateway would drop this session: HTTP 403, body "forbidden: wrong or missing secret"`; err == nil || err.Error() != want {
		t.Errorf("without --secret: %v, want %q", err, want)
	}
}

// TestServeRefusesAnOpenEndpoint: outside demo mode, serve does not start
// when anyone could post hops.
func TestServeRefusesAnOpenEndpoint(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1")
	t.Setenv("WILLAY_DEMO", "false")
	t.Setenv("WILLAY_PIN_KEY", strings.Repeat("ab", 32))
	t.Setenv("WILLAY_USSD_SECRET", "")
	t.Setenv("WILLAY_USSD_ALLOW", "")
	t.Setenv("WILLAY_USSD_OPEN", "")
	_, err := run(context.Background(), []string{"serve"}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "the USSD endpoint would accept hops from anyone") {
		t.Errorf("serve: %v", err)
	}
}
