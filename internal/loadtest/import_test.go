package loadtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/program"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/testredis"
)

// rowsPer is how many rows each file has per participant.
var rowsPer = map[importer.Kind]int{importer.Participants: 1, importer.Savings: 1, importer.Visits: 2, importer.Transfers: 2}

func TestRunImportImportsEverythingAndCleansUp(t *testing.T) {
	r := testredis.New(t)
	const n = 200
	var out strings.Builder
	var person *program.Person
	rep, err := RunImport(context.Background(), ImportOptions{
		RedisURL: r.URL, Participants: n, Batch: 64, Out: &out,
		Inspect: func(ctx context.Context, s *redisstore.Store) (err error) {
			_, person, err = s.Load(ctx, "x", participantPhone(137))
			return err
		},
	})
	if err != nil {
		t.Fatalf("RunImport: %v\n%s", err, out.String())
	}
	for _, f := range rep.Files {
		if f.Rows != n*rowsPer[f.Kind] {
			t.Errorf("%s: %d rows, want %d", f.Kind, f.Rows, n*rowsPer[f.Kind])
		}
	}
	if len(rep.Files) != 4 || rep.Rows != 6*n {
		t.Errorf("%d files, %d rows; want 4 and %d", len(rep.Files), rep.Rows, 6*n)
	}
	checkPerson(t, person)
	if rep.Memory.Sampled != n || rep.Memory.PerSample <= 0 {
		t.Errorf("memory sample of %d, %.0f bytes; want all %d and some bytes", rep.Memory.Sampled, rep.Memory.PerSample, n)
	}
	if rep.Deleted == 0 || rep.Left != 0 {
		t.Errorf("deleted %d, left %d", rep.Deleted, rep.Left)
	}
	for _, want := range []string{"overall", "bytes per participant", "goal: < 1024 bytes per participant: ", "clean-up: deleted"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	assertNoKeys(t, r, rep.Prefix)
}

func checkPerson(t *testing.T, p *program.Person) {
	t.Helper()
	if p == nil || p.Role != program.Participant {
		t.Fatalf("participant 137 not found: %+v", p)
	}
	if p.Group != groupOf(137) || p.Savings == nil || p.Savings.Cents == 0 {
		t.Errorf("group %q, savings %+v; want %q and a balance", p.Group, p.Savings, groupOf(137))
	}
	kinds := map[string]int{}
	for _, e := range p.Events {
		kinds[e.Kind]++
	}
	if len(p.Events) != 4 || kinds[program.Visit] != 2 || kinds[program.Transfer] != 2 {
		t.Errorf("events %+v; want 2 visits and 2 transfers", p.Events)
	}
}

func TestRunImportKeepsFilesInDir(t *testing.T) {
	r := testredis.New(t)
	dir := t.TempDir()
	rep, err := RunImport(context.Background(), ImportOptions{RedisURL: r.URL, Participants: 3, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range importOrder {
		b, err := os.ReadFile(filepath.Join(dir, string(kind)+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if lines[0] != strings.Join(importer.Headers[kind], ",") || len(lines) != 1+3*rowsPer[kind] {
			t.Errorf("%s: header %q, %d lines", kind, lines[0], len(lines))
		}
	}
	assertNoKeys(t, r, rep.Prefix)
}

func TestRunImportCleansUpWhenInterrupted(t *testing.T) {
	r := testredis.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	rep, err := RunImport(ctx, ImportOptions{
		RedisURL: r.URL, Participants: 100,
		Inspect: func(context.Context, *redisstore.Store) error { cancel(); return ctx.Err() },
	})
	if err == nil {
		t.Fatal("want the context's error")
	}
	if rep.Deleted == 0 {
		t.Error("nothing deleted; the imported keys should have been")
	}
	assertNoKeys(t, r, rep.Prefix)
}

func TestGeneratedRowsAreValid(t *testing.T) {
	today := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for _, i := range []int{0, 1, 39, 40, 999_999, 99_999_999} {
		ph := participantPhone(i)
		if len(ph) != 12 || !strings.HasPrefix(ph, "+519") || seen[ph] {
			t.Errorf("phone %d = %q: want a new +51 mobile of 9 digits", i, ph)
		}
		seen[ph] = true
		if groupOf(i) != groupOf(i/GroupSize*GroupSize) {
			t.Errorf("participant %d is not in its group of %d", i, GroupSize)
		}
		v := visitRows(i, today)
		if v[0][3] == v[1][3] {
			t.Errorf("visits of %d on the same date and time: the importer would refuse the second", i)
		}
	}
}
