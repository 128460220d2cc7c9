package keyword_test

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/willay-pe/willay/internal/keyword"
)

// FuzzMatch: no text makes Match panic or return something a caller could
// misread: a command with an argument it does not take, a PIN that is not
// four digits, a language code nobody serves.
func FuzzMatch(f *testing.F) {
	for _, seed := range []string{
		"", "SALDO 1234", "saldo1234", "¿Llámame?", "“visitas.”", "QULLQI CHASKIY 12",
		"IDIOMA RUNA SIMI", "p’unchaw", "ＳＴＯＰ", "\xff\xfe", "a\u0301\u0301", "´´", "SALDO ١٢٣٤",
	} {
		f.Add(seed)
	}
	s := fixtureSet(f)
	codes := []string{"", "es", "qu", "quz", "quy", "shp"}
	f.Fuzz(func(t *testing.T, text string) {
		got := s.Match(text)
		switch {
		case got.Name == "" && got != keyword.Command{}:
			t.Fatalf("Match(%q) = %+v: no command but a language or argument", text, got)
		case got.Name != "" && !slices.Contains(keyword.Commands, got.Name):
			t.Fatalf("Match(%q) = %+v: unknown command", text, got)
		case got.Name != "" && !slices.Contains([]string{"es", "qu", "shp"}, got.Lang):
			t.Fatalf("Match(%q) = %+v: unknown language", text, got)
		case got.Name == keyword.Balance && got.Arg != "" && !isPIN(got.Arg):
			t.Fatalf("Match(%q) = %+v: not a PIN", text, got)
		case got.Name == keyword.Language && !slices.Contains(codes, got.Arg):
			t.Fatalf("Match(%q) = %+v: not a language code", text, got)
		case got.Name != keyword.Balance && got.Name != keyword.Language && got.Arg != "":
			t.Fatalf("Match(%q) = %+v: argument for a command that takes none", text, got)
		}
		// Surrounding space and a trailing newline never change the answer.
		if utf8.ValidString(text) {
			if again := s.Match(" " + text + " \n"); again != got {
				t.Fatalf("Match(%q) = %+v but with spaces around %+v", text, got, again)
			}
		}
	})
}

func isPIN(p string) bool {
	if len(p) != 4 {
		return false
	}
	for _, c := range []byte(p) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// BenchmarkMatch reports the cost of matching typical inbound texts, and
// x-floor: how many times the cost of the least any matcher must do
// (upper-case the first word and look it up), measured in the same run.
func BenchmarkMatch(b *testing.B) {
	texts := []string{"  Saldo: 12 34\n", "¿Llámame?", "qullqi chaskiy", "hola, buenos días"}
	s := fixtureSet(b)
	floor := floorNsPerOp(texts)
	for i := 0; b.Loop(); i++ {
		s.Match(texts[i%len(texts)])
	}
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/floor, "x-floor")
}

// floorNsPerOp times the floor by hand: testing.Benchmark cannot run
// inside a benchmark.
func floorNsPerOp(texts []string) float64 {
	const n = 200_000
	m := map[string]bool{"SALDO": true}
	start := time.Now()
	for i := range n {
		floorSink = m[strings.ToUpper(strings.Fields(texts[i%len(texts)])[0])]
	}
	return float64(time.Since(start).Nanoseconds()) / n
}

// floorSink keeps the compiler from dropping the floor's work.
var floorSink bool
