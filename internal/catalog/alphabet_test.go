package catalog_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/catalog"
)

// alphabetFixture is a catalog with its own loanwords, so that translators
// editing the shipped list cannot break the checker's tests.
const alphabetFixture = `
all: [DNI, SMS, PIN, clave, Willay, yachachiq, Noa Jayatai, Haku Wiñay]
qu: [noviembre, minuto]
quy: [qayqa]
shp: [grupo, minuto]
`

func TestOutsideAlphabet(t *testing.T) {
	c := load(t, map[string]string{"es.yaml": "a: A\n", "qu.yaml": "a: A\n", "shp.yaml": "a: A\n", "loanwords.yaml": alphabetFixture})
	tests := []struct {
		lang, text string
		want       []string // "word (letters)"
	}{
		// Shipibo: warns.
		{"shp", "kaditi", []string{"kaditi (d)"}},
		{"shp", "Ora: 9 yamekiri", nil},
		{"shp", "Hora: 4 nomiro", []string{"Hora (h)"}},
		{"shp", "Jakon nete, Lucía", []string{"Lucía (lucí)"}},
		{"shp", "oficinain fuga gato vaca zeta ñoño qui", []string{"oficinain (fc)", "fuga (fug)", "gato (g)", "vaca (vc)", "zeta (z)", "ñoño (ñ)", "qui (qu)"}},
		{"shp", "Baquísha ea cái", []string{"Baquísha (qu\u00ed)", "cái (c\u00e1)"}},
		{"shp", "chaxo ach hach", []string{"hach (h)"}},
		{"shp", "Willay rama atipanyamai", nil}, // loanword, not in the alphabet
		{"shp", "Willays", nil},                 // loanword with a suffix in the alphabet
		{"shp", "Willaygu", []string{"Willaygu (lgu)"}},
		{"shp", "grupobo, grupoin, min grupoki", nil},
		{"shp", "Noa Jayatai", nil},
		// Shipibo: digraphs and what is not a word.
		{"shp", "Ja, ichabires jatibi tsinkiti xobo shinanmati", nil},
		{"shp", "{{.Date}} {{.Time}} {{.Coach}} 0900 = 9, 3:30 (0000-2359).", nil},
		{"shp", "{{if .Holiday}}x{{end}}", nil},
		{"shp", "DNI-nen, SMS-nen, clave (PIN)", nil},
		{"shp", "Min yachachiq {{.Coach}}", nil},
		// Quechua: e and o warn, plain or accented.
		{"qu", "Allinmi: yachachiy, huñunakuy, p'unchaw, qhaway, hark'asqa", nil},
		{"qu", "Listo: 9 horapi", []string{"Listo (o)", "horapi (o)"}},
		{"qu", "Yachachikuy Menú señor", []string{"Menú (e)", "señor (eo)"}},
		{"qu", "clave-ykiwan, Clavekuna, DNI-ykita, SMS-pi", nil},
		{"qu", "28 noviembre, 5 minutomanta", nil},
		{"qu", "Haku Wiñay, Willay", nil},
		{"qu", "{{.Topic}}. {{.Place}}.", nil},
		{"qu", "b d f g ñ ch'", nil}, // Quechua is checked for e and o only
		// Varieties follow their macrolanguage, with their own loanwords too.
		{"quz", "Listo", []string{"Listo (o)"}},
		{"quy", "qayqa Listo", []string{"Listo (o)"}},
		{"qu", "qayqa", nil},
		// Spanish is not checked.
		{"es", "Hoy día kaditi", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, f := range c.OutsideAlphabet(tt.lang, tt.text) {
			got = append(got, f.String())
		}
		if strings.Join(got, ", ") != strings.Join(tt.want, ", ") {
			t.Errorf("OutsideAlphabet(%s, %q) = %q, want %q", tt.lang, tt.text, got, tt.want)
		}
	}
}

// TestLoanwordsFile: the loanwords file is no language, and a key that is
// not a language code is refused with the file's name.
func TestLoanwordsFile(t *testing.T) {
	c := load(t, map[string]string{"es.yaml": "a: A\n", "loanwords.yaml": alphabetFixture})
	if got := c.Languages(); strings.Join(got, " ") != "es" {
		t.Errorf("Languages() = %v, want [es]: loanwords.yaml is not a language", got)
	}
	_, err := catalog.Load(mapFS(map[string]string{"es.yaml": "a: A\n", "loanwords.yaml": "Shipibo: [grupo]\n"}), "locales")
	if err == nil || !strings.Contains(err.Error(), `locales/loanwords.yaml: "Shipibo" is not a language code`) {
		t.Errorf("Load with a bad key: %v", err)
	}
}

// TestShippedSpelling: every shipped Quechua and Shipibo text is in its
// official alphabet, or its other words are listed loanwords.
func TestShippedSpelling(t *testing.T) {
	c := shipped(t)
	for _, lang := range c.Languages() {
		for _, id := range c.IDs() {
			if m := c.Message(lang, id); m != nil {
				if fs := c.OutsideAlphabet(lang, m.Other); len(fs) > 0 {
					t.Errorf("%s [%s] %q: outside %s: %v", id, lang, m.Other, catalog.Alphabet(lang), fs)
				}
			}
		}
	}
}

// sourceKey is a key of locales/glossary.md, or a note that says why a
// text needs none.
var sourceKey = regexp.MustCompile(`\b(SIL|FC|EDU|LEY|COV|WEB|BIB|MQC|MIN|DM|CON|DW|DVq|DVs|LEX|HB)\b|No source|loan|name|Variables only`)

// TestShippedDraftsNameSources: every unreviewed Quechua and Shipibo text
// says where its words come from (locales/glossary.md), so that a reviewer
// sees why each was chosen.
func TestShippedDraftsNameSources(t *testing.T) {
	c := shipped(t)
	for _, lang := range c.Languages() {
		for _, id := range c.IDs() {
			if c.Status(lang, id) != catalog.Draft {
				continue
			}
			if d := c.Message(lang, id).Description; !sourceKey.MatchString(d) {
				t.Errorf("%s [%s]: description %q names no source: give the glossary keys of its words (locales/glossary.md), or say No source", id, lang, d)
			}
		}
	}
}
