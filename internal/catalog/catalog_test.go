package catalog_test

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/willay-pe/willay/internal/catalog"
)

// shipped loads the message files the service ships with.
func shipped(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(os.DirFS("../../locales"), ".")
	if err != nil {
		t.Fatalf("load ../../locales: %v", err)
	}
	return c
}

// load builds a catalog from files given by name (es.yaml, qu.yaml, ...).
func load(t *testing.T, files map[string]string) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(mapFS(files), "locales")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, s := range files {
		fsys["locales/"+name] = &fstest.MapFile{Data: []byte(s)}
	}
	return fsys
}

func TestShippedLanguages(t *testing.T) {
	c := shipped(t)
	if got, want := c.Languages(), []string{"es", "qu", "quy", "shp"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Languages() = %v, want %v", got, want)
	}
	if len(c.IDs()) == 0 {
		t.Fatal("es.yaml has no messages")
	}
	// Every text a participant sees must exist in all three languages.
	for _, lang := range []string{"qu", "shp"} {
		for _, id := range c.IDs() {
			if !c.Has(lang, id) {
				t.Errorf("%s.yaml lacks %s", lang, id)
			}
		}
	}
}

// TestTextOwnLanguage is the core requirement: qu, its varieties and shp
// each get their own text, not Spanish.
func TestTextOwnLanguage(t *testing.T) {
	c := shipped(t)
	data := map[string]any{"Name": "Rosa"}
	tests := []struct {
		code, want string
	}{
		{"es", "Hola Rosa. Willay:"},
		{"qu", "Allillanchu Rosa. Willay:"},
		{"quz", "Allillanchu Rosa. Willay:"},
		{"shp", "Jawekeskarin Rosa. Willay:"},
		{" QU ", "Allillanchu Rosa. Willay:"},
	}
	got := map[string]string{}
	for _, tt := range tests {
		text, fellBack, err := c.Text(tt.code, "main.title", data)
		if err != nil || fellBack || text != tt.want {
			t.Errorf("Text(%q, main.title) = %q, fellBack %v, err %v; want %q, false, nil", tt.code, text, fellBack, err, tt.want)
		}
		got[strings.TrimSpace(tt.code)] = text
	}
	if got["shp"] == got["es"] || got["shp"] == got["qu"] || got["qu"] == got["es"] {
		t.Errorf("es, qu and shp must differ: %q", got)
	}
}

// TestShippedChanka: Ayacucho-Chanka (quy) speakers get the texts whose
// words differ in their variety from quy.yaml, and every other text from
// qu.yaml, never Spanish; quz stays on the Cusco-Collao texts.
func TestShippedChanka(t *testing.T) {
	c := shipped(t)
	tests := []struct {
		code, id, want string
	}{
		{"quy", "busy", "Willay kanan manam atinchu. Huk ratumanta qayamuy."},
		{"quy", "main.payments", "Qullqi chaskina punchaw"},
		{"quy", "broadcast.status.sending", "lluqsichkan"},
		{"quy", "main.savings", "Qullqi waqaychasqay"}, // the same in both: from qu.yaml
		{"quz", "busy", "Willay kunan manam atinchu. Huk ratumanta waqyamuy."},
		{"qu", "main.payments", "Qullqi chaskina p'unchaw"},
	}
	for _, tt := range tests {
		text, _, err := c.Text(tt.code, tt.id, nil)
		if err != nil || text != tt.want {
			t.Errorf("Text(%s, %s) = %q, %v; want %q", tt.code, tt.id, text, err, tt.want)
		}
	}
	// quy.yaml holds only what differs, each a draft that says why.
	for _, id := range c.IDs() {
		m := c.Message("quy", id)
		if m == nil {
			continue
		}
		if m.Other == c.Message("qu", id).Other {
			t.Errorf("quy.yaml repeats qu.yaml's %s: keep only what differs", id)
		}
		if c.Status("quy", id) != catalog.Draft || !strings.Contains(m.Description, "Ayacucho-Chanka") {
			t.Errorf("quy.yaml %s: status %s, description %q: want an unreviewed draft that says what differs", id, c.Status("quy", id), m.Description)
		}
	}
}

func TestResolve(t *testing.T) {
	c := load(t, map[string]string{
		"es.yaml":  "a: A es\n",
		"qu.yaml":  "a: A qu\n",
		"quz.yaml": "a: A quz\n",
		"shp.yaml": "a: A shp\n",
	})
	tests := []struct{ code, want string }{
		{"es", "es"}, {"qu", "qu"}, {"quz", "quz"}, {"quy", "qu"}, {"QUY", "qu"},
		{"shp", "shp"}, {"en", "es"}, {"", "es"}, {"es-PE", "es"}, {"q", "es"},
	}
	for _, tt := range tests {
		if got := c.Resolve(tt.code); got != tt.want {
			t.Errorf("Resolve(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

// TestTextFallback: a language file that lacks a message falls back along
// quz → qu → es, and says so.
func TestTextFallback(t *testing.T) {
	c := load(t, map[string]string{
		"es.yaml": "title: Hola\nonly_es: Solo español\nboth: Ambos\n",
		"qu.yaml": "# Quechua\ntitle: Allillanchu\nboth: Iskaynin\n",
		// quz holds only what differs from qu.
		"quz.yaml": "title:\n  other: Allillanchu Qusqu\n",
		"shp.yaml": "title: Jakon nete\n",
	})
	tests := []struct {
		code, id string
		want     string
		fellBack bool
	}{
		{"qu", "title", "Allillanchu", false},
		{"qu", "only_es", "Solo español", true},
		{"shp", "only_es", "Solo español", true},
		{"shp", "both", "Ambos", true},
		{"quz", "title", "Allillanchu Qusqu", false},
		{"quz", "both", "Iskaynin", true}, // qu, not es
		{"quz", "only_es", "Solo español", true},
		{"quy", "title", "Allillanchu", false}, // no quy.yaml: qu serves it
		{"quy", "only_es", "Solo español", true},
		{"en", "title", "Hola", false}, // unknown: served in Spanish
		{"xx", "both", "Ambos", false},
	}
	for _, tt := range tests {
		text, fellBack, err := c.Text(tt.code, tt.id, nil)
		if err != nil || text != tt.want || fellBack != tt.fellBack {
			t.Errorf("Text(%q, %q) = %q, %v, %v; want %q, %v, nil", tt.code, tt.id, text, fellBack, err, tt.want, tt.fellBack)
		}
	}
	if _, _, err := c.Text("qu", "no.such", nil); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Text(qu, no.such) error = %v, want ErrNotFound", err)
	}
}

func TestTextPlural(t *testing.T) {
	c := shipped(t)
	tests := []struct {
		code  string
		count any
		want  string
	}{
		{"es", 1, "Clave incorrecta. Le queda 1 intento."},
		{"es", 2, "Clave incorrecta. Le quedan 2 intentos."},
		{"es", 0, "Clave incorrecta. Le quedan 0 intentos."},
		{"es", "1", "Clave incorrecta. Le queda 1 intento."},
		{"qu", 1, "Clave pantasqa. 1 kutiraq kapusunki."},
		{"qu", 2, "Clave pantasqa. 2 kutiraq kapusunki."},
		{"shp", 1, "Clave jakoma. 1 intento banetai."},
	}
	for _, tt := range tests {
		got, _, err := c.Text(tt.code, "pin.wrong", map[string]any{"Count": tt.count})
		if err != nil || got != tt.want {
			t.Errorf("Text(%s, pin.wrong, Count %v) = %q, %v; want %q", tt.code, tt.count, got, err, tt.want)
		}
	}

	// A Quechua or Shipibo file that does carry a "one" form still renders
	// "other" for 1: neither language inflects a noun after a numeral.
	c = load(t, map[string]string{
		"es.yaml":  "n:\n  one: \"{{.Count}} casa\"\n  other: \"{{.Count}} casas\"\n",
		"qu.yaml":  "n:\n  one: \"{{.Count}} ONE\"\n  other: \"{{.Count}} wasi\"\n",
		"shp.yaml": "n:\n  one: \"{{.Count}} ONE\"\n  other: \"{{.Count}} xobo\"\n",
	})
	for _, tt := range []struct {
		code  string
		count int
		want  string
	}{{"es", 1, "1 casa"}, {"es", 3, "3 casas"}, {"qu", 1, "1 wasi"}, {"quz", 1, "1 wasi"}, {"shp", 1, "1 xobo"}} {
		got, _, err := c.Text(tt.code, "n", map[string]any{"Count": tt.count})
		if err != nil || got != tt.want {
			t.Errorf("Text(%s, n, Count %d) = %q, %v; want %q", tt.code, tt.count, got, err, tt.want)
		}
	}
}

func TestStatus(t *testing.T) {
	es := map[string]*i18n.Message{
		"draft":    {Other: "Borrador"},
		"reviewed": {Other: "Revisado", Description: "descriptions do not count"},
		"changed":  {Other: "Texto nuevo"},
		"missing":  {Other: "Falta"},
	}
	older := catalog.Hash(&i18n.Message{Other: "Texto viejo"})
	c := load(t, map[string]string{
		"es.yaml": "draft: Borrador\n" +
			"reviewed:\n  description: descriptions do not count\n  other: Revisado\n" +
			"changed: Texto nuevo\n" +
			"missing: Falta\n",
		"qu.yaml": "draft: Qillqasqa\n" +
			fmt.Sprintf("reviewed:\n  hash: %s\n  other: Qhawasqa\n", catalog.Hash(&i18n.Message{Other: es["reviewed"].Other})) +
			fmt.Sprintf("changed:\n  hash: %s\n  other: Musuq\n", older),
	})
	tests := []struct {
		lang, id string
		want     catalog.Status
		name     string
	}{
		{"qu", "draft", catalog.Draft, "draft"},
		{"qu", "reviewed", catalog.Reviewed, "reviewed"},
		{"qu", "changed", catalog.Stale, "changed"},
		{"qu", "missing", catalog.Missing, "missing"},
		{"es", "missing", catalog.Reviewed, "reviewed"}, // the source is always reviewed
		{"shp", "draft", catalog.Missing, "missing"},    // no shp.yaml at all
	}
	for _, tt := range tests {
		got := c.Status(tt.lang, tt.id)
		if got != tt.want || got.String() != tt.name {
			t.Errorf("Status(%s, %s) = %v, want %v", tt.lang, tt.id, got, tt.name)
		}
	}
}

func TestHash(t *testing.T) {
	base := catalog.Hash(&i18n.Message{Other: "Hola"})
	if !strings.HasPrefix(base, "sha1-") || len(base) != len("sha1-")+40 {
		t.Fatalf("Hash = %q, want sha1- and 40 hex digits", base)
	}
	tests := []struct {
		m    *i18n.Message
		same bool
	}{
		{&i18n.Message{ID: "other.id", Other: "Hola", Description: "x", Hash: "sha1-0"}, true},
		{&i18n.Message{Other: "Hola "}, false},
		{&i18n.Message{One: "Hola"}, false}, // which form a text is in counts
		{&i18n.Message{One: "x", Other: "Hola"}, false},
	}
	for _, tt := range tests {
		if got := catalog.Hash(tt.m) == base; got != tt.same {
			t.Errorf("Hash(%+v) == Hash({Other: Hola}) is %v, want %v", *tt.m, got, tt.same)
		}
	}
}

// TestLoadErrors: a broken file is reported by name, every broken file at
// once, and nothing loads.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"yaml syntax", map[string]string{"es.yaml": "a: Hola\n", "qu.yaml": "a: [\n"},
			[]string{"locales/qu.yaml: ", "sequence end token"}},
		{"not a message file", map[string]string{"es.yaml": "a: Hola\n", "shp.yaml": "a: 3\n"},
			[]string{"locales/shp.yaml: "}},
		{"every broken file", map[string]string{"es.yaml": "a: Hola\n", "qu.yaml": "a: [\n", "shp.yaml": "- [\n"},
			[]string{"locales/qu.yaml: ", "locales/shp.yaml: "}},
		{"template syntax", map[string]string{"es.yaml": "a: Hola\n", "qu.yaml": "a: \"Allillanchu {{.Name\"\n"},
			[]string{"locales/qu.yaml: ", "message a", "unclosed action"}},
		{"template in a plural form", map[string]string{"es.yaml": "a:\n  one: \"{{.Count\"\n  other: x\n"},
			[]string{"locales/es.yaml: ", "message a"}},
		{"no Spanish", map[string]string{"qu.yaml": "a: Allillanchu\n"},
			[]string{"locales: no es.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := catalog.Load(mapFS(tt.files), "locales")
			if err == nil {
				t.Fatalf("Load succeeded (%v), want an error", c.Languages())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestGoI18nHasNoRuleForQuechuaOrShipibo documents why the catalog exists:
// plain go-i18n v2.7.0 refuses messages tagged qu or shp. If this test
// fails, go-i18n has gained the rules and the catalog may be simplified.
func TestGoI18nHasNoRuleForQuechuaOrShipibo(t *testing.T) {
	for _, code := range []string{"qu", "quz", "quy", "shp"} {
		b := i18n.NewBundle(language.Spanish)
		err := b.AddMessages(language.Make(code), &i18n.Message{ID: "main.title", Other: "x"})
		if err == nil || err.Error() != "no plural rule registered for "+code {
			t.Errorf("AddMessages(%s) error = %v, want %q", code, err, "no plural rule registered for "+code)
		}
	}
	// The tag the catalog borrows for them does load.
	b := i18n.NewBundle(language.Spanish)
	if err := b.AddMessages(language.Indonesian, &i18n.Message{ID: "main.title", Other: "x"}); err != nil {
		t.Errorf("AddMessages(id) = %v", err)
	}
}
