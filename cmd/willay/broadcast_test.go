package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestStaffBroadcast drives `willay broadcast` against demo data on Redis:
// a preview that sends nothing, free texts refused when a language lacks
// one, a send by district, its status as the pipeline takes it, and the
// list.
func TestStaffBroadcast(t *testing.T) {
	a, _, clock := demoInstallation(t)
	ctx := withClock(context.Background(), clock.Now)
	cfg := a.Config
	cli := func(args ...string) (string, error) {
		var out, errOut strings.Builder
		_, err := run(ctx, append([]string{"broadcast"}, args...), nil, &out, &errOut)
		return out.String(), err
	}
	day := a.Now().In(cfg.TZ).AddDate(0, 0, 2).Format("0201")

	out, err := cli("send", "--template", "meeting", "--date", day, "--time", "1500", "--group", "HW-HVCA-01", "--from", "Oficina Yauli")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3 recipients (HW-HVCA-01)", "  es       1  Willay: Reunion de su grupo el ", "a las 15:00. Le espera su yachachiq Maximiliano.  [1 SMS, GSM-7]",
		"  qu       2  Willay: Huñunakuy ", "nothing sent yet: run again with --yes"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
	if bs, _ := a.Broadcasts.Mine(context.Background(), "", 10); len(bs) != 0 {
		t.Fatalf("a preview made %d broadcasts", len(bs))
	}

	if _, err := cli("send", "--text-es", "Mañana no hay clases.", "--group", "HW-HVCA-01", "--from", "Oficina", "--yes"); err == nil ||
		!strings.Contains(err.Error(), "map[qu:2]") {
		t.Errorf("a free text without Quechua for Quechua readers: %v", err)
	}
	for _, bad := range [][]string{
		{"send", "--template", "visit", "--date", day, "--time", "0900", "--group", "G", "--from", "X"},
		{"send", "--template", "meeting", "--date", day, "--group", "G", "--from", "X"},
		{"send", "--template", "fiesta", "--group", "G", "--from", "X"},
		{"send", "--template", "payment", "--date", "3102", "--group", "G", "--from", "X"},
		{"send", "--template", "payment", "--date", day, "--from", "X"},
		{"send", "--template", "payment", "--date", day, "--group", "G"},
		{"send", "--template", "payment", "--date", day, "--group", "G", "--from", "X", "--at", "2020-01-01 10:00"},
		{"status", "nosuchid"},
		{"send", "--text-es", "   ", "--group", "HW-HVCA-01", "--from", "X", "--yes"},
		{"send", "--text-es", strings.Repeat("Willay ", 300), "--fallback-es", "--group", "HW-HVCA-01", "--from", "X", "--yes"},
		{"send", "--template", "payment", "--date", day, "--text-es", "Hola", "--group", "G", "--from", "X"},
		{"fly"},
	} {
		if _, err := cli(bad...); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}

	out, err = cli("send", "--template", "payment", "--date", day, "--district", "Yarinacocha", "--from", "Oficina Ucayali", "--yes")
	if err != nil || !strings.Contains(out, ": 1 recipients") {
		t.Fatalf("send: %v\n%s", err, out)
	}
	id := strings.TrimSuffix(strings.Fields(out)[1], ":")
	if out, _ := cli("status", id); !strings.Contains(out, "status: scheduled") {
		t.Errorf("status before dispatch:\n%s", out)
	}
	// Sent in quiet hours (WILLAY_TEST_CLOCK=03:20), it waits for their end.
	if leaves := a.Library.Current().Reminders.NextAllowed(a.Now()); leaves.After(a.Now().Add(time.Second)) {
		if n, err := a.Broadcasts.Dispatch(context.Background()); err != nil || n != 0 {
			t.Fatalf("dispatch in quiet hours: %d %v, want nothing before %s", n, err, leaves.Format("15:04"))
		}
		clock.Advance(leaves.Sub(a.Now()) + time.Second)
	}
	if n, err := a.Broadcasts.Dispatch(context.Background()); err != nil || n != 1 {
		t.Fatalf("dispatch: %d %v", n, err)
	}
	if out, _ := cli("status", id); !strings.Contains(out, "status: queued") || !strings.Contains(out, "queued      1") {
		t.Errorf("status after dispatch:\n%s", out)
	}
	if _, err := cli("cancel", id); err == nil || !strings.Contains(err.Error(), "already sending") {
		t.Errorf("cancel after it left: %v", err)
	}
	if out, _ := cli("list"); !strings.Contains(out, id) || !strings.Contains(out, "district Yarinacocha") {
		t.Errorf("list:\n%s", out)
	}
}
