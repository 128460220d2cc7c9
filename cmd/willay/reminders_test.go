package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/app"
	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/testclock"
	"github.com/willay-pe/willay/internal/testredis"
)

func TestRemindersPreviewAndPlan(t *testing.T) {
	_, r, clock := demoInstallation(t)
	ctx := withClock(context.Background(), clock.Now)
	var out, errOut strings.Builder
	code, err := run(ctx, []string{"reminders", "preview", "--phone", demo.Spanish}, nil, &out, &errOut)
	if code != 0 || err != nil {
		t.Fatalf("preview: %d %v", code, err)
	}
	for _, want := range []string{"visit.evening_before", "Willay: hoy a las 09:00 su yachachiq la visita: Biohuerto familiar. Su casa.",
		"juntos.two_days_before", "juntos.morning_of"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("preview lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	code, err = run(ctx, []string{"reminders", "plan", "--dry-run", "--days", "30"}, nil, &out, &errOut)
	if code != 0 || err != nil || !strings.Contains(out.String(), "4 participants:") || !strings.Contains(out.String(), "juntos.morning_of") {
		t.Errorf("plan: %d %v\n%s", code, err, out.String())
	}
	if n, _ := r.Client.Exists(context.Background(), r.Prefix+"rem:due").Result(); n != 0 {
		t.Error("a dry run must plan nothing")
	}
}

// demoInstallation seeds the demo people in the test's Redis, as `make run`
// would, and points the command line at it (REDIS_URL and the rest).
func demoInstallation(t *testing.T) (*app.App, *testredis.Redis, *testclock.Clock) {
	t.Helper()
	clock := testclock.New(t)
	r := testredis.New(t)
	r.Queue(t)
	env := map[string]string{"REDIS_URL": r.URL, "WILLAY_REDIS_PREFIX": r.Prefix, "WILLAY_DEMO": "true",
		"WILLAY_PIN_KEY": strings.Repeat("ab", 32), "WILLAY_FLOWS": "../../flows", "WILLAY_LOCALES": "../../locales"}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	for k, v := range env {
		t.Setenv(k, v)
	}
	return a, r, clock
}
