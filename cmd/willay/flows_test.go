package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// copyYAMLFiles copies every *.yaml of src into dst, creating dst. (Named
// for what it does: other files of this package have tests too.)
func copyYAMLFiles(t *testing.T, src, dst string) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(src, "*.yaml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("glob %s: %v (%d files)", src, err, len(names))
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		buf, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(n)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runWillay runs a command line as main does, with no locales set in the
// environment unless the test sets one.
func runWillay(t *testing.T, args ...string) (code int, out string, err error) {
	t.Helper()
	var stdout, stderr strings.Builder
	code, err = run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String() + stderr.String(), err
}

func TestFlowsCheckShipped(t *testing.T) {
	t.Setenv("WILLAY_LOCALES", "")
	code, out, err := runWillay(t, "flows", "check", "../../flows")
	if code != 0 || err != nil {
		t.Fatalf("flows check ../../flows = %d, %v\n%s", code, err, out)
	}
	if !strings.Contains(out, "../../flows, ../../locales: 0 errors, ") {
		t.Errorf("output does not say 0 errors with the locales beside the flows:\n%s", out)
	}
}

// TestFlowsCheckBroken: every problem is printed, not only the first, and
// the exit code is 1.
func TestFlowsCheckBroken(t *testing.T) {
	t.Setenv("WILLAY_LOCALES", "")
	root := t.TempDir()
	copyYAMLFiles(t, "testdata/brokenflows", filepath.Join(root, "flows"))
	copyYAMLFiles(t, "../../locales", filepath.Join(root, "locales"))

	code, out, err := runWillay(t, "flows", "check", filepath.Join(root, "flows"))
	if code != 1 || err != nil {
		t.Fatalf("flows check = %d, %v, want 1, nil\n%s", code, err, out)
	}
	want := []string{
		`flows/coach.yaml: start "" does not exist`,
		`flows/participant.yaml: node main: message main.visitas [es]: option 2 label "main.visitas" does not exist in locales/es.yaml`,
		`flows/participant.yaml: node orphan: unreachable: no menu option or next leads here`,
		`flows/participant.yaml: node savings.pin: action pin.verify can end in "locked" but next has no "locked"`,
		`flows/participant.yaml: node savings.pin: next ok: next "savings_shw" does not exist`,
		`flows/participant.yaml: node visits: unknown action "visits.lst"`,
	}
	var errs []string
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "warning: ") {
			errs = append(errs, l)
		}
	}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("errors printed:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
	summary := filepath.Join(root, "flows") + ", " + filepath.Join(root, "locales") + ": 6 errors, 3 warnings"
	if !strings.HasPrefix(lines[len(lines)-1], summary) {
		t.Errorf("last line %q, want it to start %q", lines[len(lines)-1], summary)
	}
}

func TestFlowsCheckUsage(t *testing.T) {
	t.Setenv("WILLAY_LOCALES", "")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"flows"}, 2, "usage: willay flows check [DIR]"},
		{[]string{"flows", "lint"}, 2, "usage: willay flows check [DIR]"},
		{[]string{"flows", "check", "a", "b"}, 2, "usage: willay flows check [DIR]"},
		// No locales beside testdata/no-such-dir, none in the environment,
		// none in the working directory.
		{[]string{"flows", "check", "testdata/no-such-dir"}, 1, "no es.yaml: Spanish is the source of every text"},
	}
	for _, tt := range tests {
		code, out, err := runWillay(t, tt.args...)
		got := out
		if err != nil {
			got += err.Error()
		}
		if code != tt.code || !strings.Contains(got, tt.want) {
			t.Errorf("willay %s = %d, %q; want %d and %q", strings.Join(tt.args, " "), code, got, tt.code, tt.want)
		}
	}

	t.Setenv("WILLAY_LOCALES", "../../locales")
	code, out, err := runWillay(t, "flows", "check", "testdata/no-such-dir")
	if code != 1 || err != nil || !strings.Contains(out, "no flow files (*.yaml)") {
		t.Errorf("flows check of a missing folder = %d, %v, %q; want 1 and no flow files", code, err, out)
	}
}
