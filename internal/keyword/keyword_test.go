package keyword_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/willay-pe/willay/internal/keyword"
)

const shipped = "../../flows/sms.yaml"

// fixture holds the keywords the matching rules are tested with, so that
// staff editing the shipped drafts cannot break these tests.
const fixture = `
keywords:
  balance:  {es: [SALDO], qu: [QULLQI, QULLQI QHAWAY], shp: [KORIKI]}
  visits:   {es: [VISITAS], qu: [HUÑUNAKUY], shp: [MERATI]}
  payments: {es: [PAGOS], qu: [QULLQI CHASKIY], shp: [KORIKI BITI]}
  callback: {es: [LLÁMAME], qu: [WAQYAWAY], shp: [KENAWE]}
  language: {es: [IDIOMA], qu: [SIMI], shp: [JOI]}
  stop:     {es: [BAJA, STOP, END], qu: [BAJA], shp: [STOP]}
  start:    {es: [ALTA, START], qu: [ALTA], shp: [ALTA]}
  help:     {es: [AYUDA], qu: [YANAPAY, "P'UNCHAW"], shp: [AKINTI]}
`

func parse(t testing.TB, file string, buf []byte) *keyword.Set {
	t.Helper()
	s, err := keyword.Parse(file, buf)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fixtureSet(t testing.TB) *keyword.Set {
	t.Helper()
	s := parse(t, "fixture.yaml", []byte(fixture))
	if ps := s.Problems(); len(ps) > 0 {
		t.Fatalf("fixture has problems:\n%s", strings.Join(ps, "\n"))
	}
	return s
}

func shippedSet(t *testing.T) (*keyword.Set, []byte) {
	t.Helper()
	buf, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, "flows/sms.yaml", buf), buf
}

func TestShippedHasNoProblems(t *testing.T) {
	s, _ := shippedSet(t)
	if ps := s.Problems(); len(ps) > 0 {
		t.Errorf("%s has problems:\n%s", shipped, strings.Join(ps, "\n"))
	}
}

// TestShippedKeywordsMatch: every keyword of every language of every
// command matches, in the language that lists it first (es, qu, shp),
// however it is typed.
func TestShippedKeywordsMatch(t *testing.T) {
	s, buf := shippedSet(t)
	var doc struct {
		Keywords map[string]map[string][]string `yaml:"keywords"`
	}
	if err := yaml.Unmarshal(buf, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keywords) != len(keyword.Commands) {
		t.Fatalf("read %d commands from %s, want %d", len(doc.Keywords), shipped, len(keyword.Commands))
	}
	for _, name := range keyword.Commands {
		first := map[string]string{} // keyword → first language listing it
		for _, lang := range []string{"es", "qu", "shp"} {
			for _, kw := range doc.Keywords[name][lang] {
				if _, ok := first[kw]; !ok {
					first[kw] = lang
				}
				want := keyword.Command{Name: name, Lang: first[kw]}
				for _, text := range []string{kw, strings.ToLower(kw), " ¡" + kw + "!\n"} {
					if got := s.Match(text); got != want {
						t.Errorf("%s [%s]: Match(%q) = %+v, want %+v", name, lang, text, got, want)
					}
				}
			}
		}
	}
}

func TestShippedArguments(t *testing.T) {
	s, _ := shippedSet(t)
	tests := []struct{ text, name, arg string }{
		{"SALDO 1234", keyword.Balance, "1234"},
		{"qullqi 1234", keyword.Balance, "1234"},
		{"koriki 1234", keyword.Balance, "1234"},
		{"IDIOMA QU", keyword.Language, "qu"},
		{"simi shp", keyword.Language, "shp"},
		{"joi es", keyword.Language, "es"},
	}
	for _, tt := range tests {
		if got := s.Match(tt.text); got.Name != tt.name || got.Arg != tt.arg {
			t.Errorf("Match(%q) = %+v, want %s %q", tt.text, got, tt.name, tt.arg)
		}
	}
}

func TestMatch(t *testing.T) {
	s := fixtureSet(t)
	tests := []struct {
		text string
		want keyword.Command
	}{
		// Case, accents, Ñ, spacing, punctuation, quotes.
		{"LLAMAME", keyword.Command{Name: "callback", Lang: "es"}},
		{"LLÁMAME", keyword.Command{Name: "callback", Lang: "es"}},
		{"llámame", keyword.Command{Name: "callback", Lang: "es"}},
		{"  Llamame!!  \n", keyword.Command{Name: "callback", Lang: "es"}},
		{"¿ayuda?", keyword.Command{Name: "help", Lang: "es"}},
		{`"visitas."`, keyword.Command{Name: "visits", Lang: "es"}},
		{"“Visitas”", keyword.Command{Name: "visits", Lang: "es"}},
		{"«pagos»", keyword.Command{Name: "payments", Lang: "es"}},
		{"'stop'", keyword.Command{Name: "stop", Lang: "es"}},
		{"Stop\r\n", keyword.Command{Name: "stop", Lang: "es"}},
		{"\u200bSTOP", keyword.Command{Name: "stop", Lang: "es"}},
		{"ＳＴＯＰ", keyword.Command{Name: "stop", Lang: "es"}},
		{"huñunakuy", keyword.Command{Name: "visits", Lang: "qu"}},
		{"HUNUNAKUY", keyword.Command{Name: "visits", Lang: "qu"}},
		// Apostrophes do not count, whichever a phone sends.
		{"p'unchaw", keyword.Command{Name: "help", Lang: "qu"}},
		{"p’unchaw", keyword.Command{Name: "help", Lang: "qu"}},
		{"punchaw", keyword.Command{Name: "help", Lang: "qu"}},
		// The keyword is the first word; what follows a command without an
		// argument is ignored.
		{"visitas por favor", keyword.Command{Name: "visits", Lang: "es"}},
		{"por favor visitas", keyword.Command{}},
		// A Spanish keyword repeated for another language stays "es";
		// one listed only for Shipibo is "shp".
		{"baja", keyword.Command{Name: "stop", Lang: "es"}},
		{"alta", keyword.Command{Name: "start", Lang: "es"}},
		{"akinti", keyword.Command{Name: "help", Lang: "shp"}},
		// Longest keyword first.
		{"qullqi", keyword.Command{Name: "balance", Lang: "qu"}},
		{"qullqi chaskiy", keyword.Command{Name: "payments", Lang: "qu"}},
		{"Qullqi, chaskiy.", keyword.Command{Name: "payments", Lang: "qu"}},
		{"koriki biti", keyword.Command{Name: "payments", Lang: "shp"}},
		{"koriki", keyword.Command{Name: "balance", Lang: "shp"}},
		// Nothing.
		{"", keyword.Command{}},
		{"   \n", keyword.Command{}},
		{"?!", keyword.Command{}},
		{"hola", keyword.Command{}},
		{"saldos", keyword.Command{}},
		{"chaskiy", keyword.Command{}},
		{"1234", keyword.Command{}},
	}
	for _, tt := range tests {
		if got := s.Match(tt.text); got != tt.want {
			t.Errorf("Match(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

func TestMatchPIN(t *testing.T) {
	s := fixtureSet(t)
	tests := []struct{ text, pin string }{
		{"SALDO 1234", "1234"},
		{"saldo 0042", "0042"},
		{"Saldo: 1234", "1234"},
		{"SALDO 12 34", "1234"},
		{"SALDO 1 2 3 4\n", "1234"},
		{"SALDO1234", "1234"},
		{"saldo1234.", "1234"},
		{"SALDO  ‘1234’", "1234"},
		{"SALDO １２３４", "1234"},
		{"qullqi qhaway 4321", "4321"},
		{"QULLQI QHAWAY4321", "4321"},
		{"koriki 4321", "4321"},
		// Anything else: the caller asks for the PIN.
		{"SALDO", ""},
		{"SALDO 123", ""},
		{"SALDO 12345", ""},
		{"SALDO 12a4", ""},
		{"SALDO 1234 gracias", ""},
		{"SALDO PIN 1234", ""},
		{"SALDO ١٢٣٤", ""},
	}
	for _, tt := range tests {
		got := s.Match(tt.text)
		if got.Name != keyword.Balance || got.Arg != tt.pin {
			t.Errorf("Match(%q) = %+v, want balance with PIN %q", tt.text, got, tt.pin)
		}
	}
}

func TestMatchLanguage(t *testing.T) {
	s := fixtureSet(t)
	tests := []struct{ text, code string }{
		{"IDIOMA QU", "qu"},
		{"idioma quechua", "qu"},
		{"Idioma Runasimi", "qu"},
		{"IDIOMA RUNA SIMI", "qu"},
		{"IDIOMA QUZ", "quz"},
		{"idioma quy", "quy"},
		{"IDIOMA SHP", "shp"},
		{"idioma shipibo.", "shp"},
		{"IDIOMA SHIPIBO-KONIBO", "shp"},
		{"IDIOMA ES", "es"},
		{"idioma español", "es"},
		{"IDIOMA ESPANOL", "es"},
		{"Idioma: castellano", "es"},
		{"simi qu", "qu"},
		{"joi shp", "shp"},
		// Unknown: the caller offers the languages.
		{"IDIOMA", ""},
		{"IDIOMA EN", ""},
		{"IDIOMA QU ES", ""},
		{"IDIOMA 1", ""},
	}
	for _, tt := range tests {
		got := s.Match(tt.text)
		if got.Name != keyword.Language || got.Arg != tt.code {
			t.Errorf("Match(%q) = %+v, want language with %q", tt.text, got, tt.code)
		}
	}
}

func TestKeywords(t *testing.T) {
	s := fixtureSet(t)
	tests := []struct {
		command, lang string
		want          []string
	}{
		{"balance", "qu", []string{"QULLQI", "QULLQI QHAWAY"}},
		{"callback", "es", []string{"LLAMAME"}}, // GSM-7: no Á
		{"visits", "qu", []string{"HUÑUNAKUY"}}, // Ñ is GSM-7
		{"help", "qu", []string{"YANAPAY", "PUNCHAW"}},
		{"stop", "qu", []string{"BAJA"}},
		{"nothing", "es", nil},
	}
	for _, tt := range tests {
		if got := s.Keywords(tt.command, tt.lang); !slices.Equal(got, tt.want) {
			t.Errorf("Keywords(%s, %s) = %q, want %q", tt.command, tt.lang, got, tt.want)
		}
	}
}

// TestProblems: every problem of a broken file is reported at once, each
// with its file and command.
func TestProblems(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sms.yaml")
	broken := `
keywords:
  saldo: {es: [SALDO]}
  balance: {es: [SALDO], qu: [QULLQI], shp: []}
  visits: {es: [VISITAS, ""], qu: ["  "], shp: [MERATI], en: [VISITS]}
  payments: {es: [PAGOS!, DÍA-PAGO], qu: [QULLQI], shp: [BITI_NETE]}
  callback: {es: [LLAMAME], qu: [AÑAY], shp: [KENAWE]}
  language: {es: [IDIOMA], qu: [SIMI]}
  stop: {es: [STOP], qu: [STOP], shp: [STOP]}
  start: {es: [ALTA, stop], qu: [ANAY], shp: [llámame]}
`
	if err := os.WriteFile(file, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	buf, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		file + `: command saldo: unknown command; the commands are balance, visits, payments, callback, language, stop, start, help`,
		file + `: command balance [shp]: no keyword; every command needs one in each language (a Spanish one may be repeated)`,
		file + `: command visits [en]: unknown language; use es, qu, shp`,
		file + `: command visits [es]: keyword 2 is empty`,
		file + `: command visits [qu]: keyword 1 is empty`,
		file + `: command payments [es]: keyword "PAGOS!" has "!"; write only letters A-Z, Ñ and digits`,
		file + `: command payments [es]: keyword "DIA-PAGO" has "-"; write only letters A-Z, Ñ and digits`,
		file + `: command payments [qu]: keyword "QULLQI" is already a keyword of balance [qu]`,
		file + `: command payments [shp]: keyword "BITI_NETE" has "_"; write only letters A-Z, Ñ and digits`,
		file + `: command language [shp]: no keyword; every command needs one in each language (a Spanish one may be repeated)`,
		file + `: command start [es]: keyword "STOP" is already a keyword of stop [es]`,
		file + `: command start [qu]: keyword "ANAY" is already a keyword of callback [qu], written "AÑAY": a text cannot tell them apart`,
		file + `: command start [shp]: keyword "LLAMAME" is already a keyword of callback [es]`,
		file + `: command help: missing; it needs keywords in es, qu, shp`,
	}
	got := parse(t, file, buf).Problems()
	if !slices.Equal(got, want) {
		t.Errorf("Problems():\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"not yaml", "keywords: [", "sms.yaml: "},
		{"unknown field", "keyword:\n  balance: {es: [SALDO]}\n", `unknown field "keyword"`},
		{"scalar for a list", "keywords:\n  balance: {es: SALDO}\n", "sequence"},
	}
	for _, tt := range tests {
		_, err := keyword.Parse("sms.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "sms.yaml: ") {
			t.Errorf("%s: Parse error = %v, want it to name the file and contain %q", tt.name, err, tt.want)
		}
	}
}

func TestMatchOnNilSet(t *testing.T) {
	var s *keyword.Set
	if got := s.Match("SALDO 1234"); got != (keyword.Command{}) {
		t.Errorf("nil Set matched %+v", got)
	}
}
