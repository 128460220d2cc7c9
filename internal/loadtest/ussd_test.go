package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/testredis"
)

// repoEnv points Willay at the shipped flows and texts from this package's
// directory.
func repoEnv(k string) string {
	switch k {
	case "WILLAY_FLOWS":
		return "../../flows"
	case "WILLAY_LOCALES":
		return "../../locales"
	}
	return ""
}

func TestRunUSSDMeasuresBothSides(t *testing.T) {
	r := testredis.New(t)
	var out strings.Builder
	rep, err := RunUSSD(context.Background(), USSDOptions{
		RedisURL: r.URL, Phones: 4, Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond,
		Getenv: repoEnv, Out: &out,
	})
	if err != nil {
		t.Fatalf("RunUSSD: %v\n%s", err, out.String())
	}
	if rep.Errors != 0 {
		t.Fatalf("%d errors\n%s", rep.Errors, out.String())
	}
	for _, side := range []Round{rep.Floor, rep.Willay} {
		if side.Hops == 0 || side.P99 <= 0 {
			t.Errorf("%s: %d hops, p99 %s; want some", side.Side, side.Hops, side.P99)
		}
	}
	if len(rep.Rounds) != 6 {
		t.Errorf("%d rounds, want 2 warm-ups and 2 measured per side", len(rep.Rounds))
	}
	for _, want := range []string{"throughput ratio (willay/floor): ", "p99 ratio (willay/floor): ", "(goal >= 0.80)", "(goal <= 1.30)", "clean-up: deleted"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	assertNoKeys(t, r, rep.Prefix)
}

func TestDriverCountsNonCONRepliesAsErrors(t *testing.T) {
	url, stop, err := serveLocal(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("text") == "3" {
			_, _ = io.WriteString(w, "END Adios")
			return
		}
		_, _ = io.WriteString(w, "CON Menu")
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	d := &driver{client: newHTTPClient(2), phones: 2}
	r, err := d.round(context.Background(), "test", "1", url, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.Hops == 0 || r.Errors == 0 || !strings.Contains(r.FirstError, "END Adios") {
		t.Errorf("hops %d, errors %d, first %q; want both counted and the reply quoted", r.Hops, r.Errors, r.FirstError)
	}
}

// The measured session must be the one described: main menu, payment
// dates, main menu again, in every language.
func TestSessionWalksMenuPaymentsMenu(t *testing.T) {
	r := testredis.New(t)
	prefix := newPrefix()
	t.Cleanup(func() { _, _, _ = deletePrefix(r.Client, prefix) })
	target, stop, err := startWillay(context.Background(), r.URL, prefix, repoEnv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	d := &driver{client: newHTTPClient(1), phones: 1}
	for i, number := range participants {
		var replies []string
		for _, text := range sessionTexts {
			status, body, _, err := d.post(context.Background(), target, fmt.Sprint("walk", i), number, text)
			if err != nil || status != http.StatusOK || !strings.HasPrefix(body, "CON ") {
				t.Fatalf("%s text %q: status %d, %q, %v", number, text, status, body, err)
			}
			replies = append(replies, body)
		}
		if replies[0] != replies[2] || replies[1] == replies[0] {
			t.Errorf("%s: want menu, payments, the same menu; got %q", number, replies)
		}
	}
}

func TestRunUSSDCleansUpWhenInterrupted(t *testing.T) {
	r := testredis.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	rep, err := RunUSSD(ctx, USSDOptions{RedisURL: r.URL, Phones: 2, Duration: time.Minute, Getenv: repoEnv})
	if err == nil {
		t.Fatal("want the context's error")
	}
	if rep.Prefix == "" {
		t.Fatal("no prefix reported")
	}
	assertNoKeys(t, r, rep.Prefix)
}

func TestPercentileIsNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	if p := percentile(d, 0.5); p != 50 {
		t.Errorf("p50 = %d, want 50", p)
	}
	if p := percentile(d, 0.99); p != 99 {
		t.Errorf("p99 = %d, want 99", p)
	}
	if p := percentile(d[:1], 0.99); p != 1 {
		t.Errorf("p99 of one = %d, want 1", p)
	}
	if p := percentile(nil, 0.5); p != 0 {
		t.Errorf("p50 of none = %d, want 0", p)
	}
}

func TestDeletePrefixRefusesForeignPrefixes(t *testing.T) {
	r := testredis.New(t)
	for _, p := range []string{"", "willay:", prefixRoot, r.Prefix} {
		if _, _, err := deletePrefix(r.Client, p); err == nil {
			t.Errorf("deletePrefix(%q) ran; want a refusal", p)
		}
	}
}

// assertNoKeys checks that a run left nothing under its prefix. It scans
// rather than calling KEYS, which would stall a shared Redis.
func assertNoKeys(t *testing.T, r *testredis.Redis, prefix string) {
	t.Helper()
	if !strings.HasPrefix(prefix, prefixRoot) {
		t.Fatalf("prefix %q is not a load run's", prefix)
	}
	var left []string
	if _, err := scanPrefix(context.Background(), r.Client, prefix, func(keys []string) error {
		left = append(left, keys...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("%d keys left under %s, e.g. %s", len(left), prefix, left[0])
	}
}

func TestOpenRedisFallsBackToMiniredis(t *testing.T) {
	be, err := openRedis(context.Background(), "redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	defer be.close()
	if be.mini == nil || !strings.Contains(be.note, "does not answer") {
		t.Errorf("mini %v, note %q; want a miniredis and a note saying why", be.mini, be.note)
	}
	if _, err := openRedis(context.Background(), "http://nope"); err == nil {
		t.Error("a malformed URL fell back; want an error")
	}
}
