package keyword_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/catalog"
	"github.com/willay-pe/willay/internal/keyword"
)

// A text names a keyword in capitals, alone or with what follows it:
// "envie SALDO y su clave", "Kaynata: QULLQI 1234", "IDIOMA QU (runasimi)".
// A named keyword is one or more words of two capitals or more, then
// perhaps a number, and no letter right after ("SMS-pi" names SMS).
var named = regexp.MustCompile(`(\p{Lu}{2,}(?: \p{Lu}{2,})*)(?: (\d+))?(?:\P{L}|$)`)

// notKeywords are the capitals texts use that ask for nothing.
var notKeywords = []string{"SMS", "DNI", "PIN"}

// unaccepted lists what text tells people to send that s would not
// understand: no command, or a PIN or language the command does not take.
func unaccepted(s *keyword.Set, text string) []string {
	var out []string
	text = regexp.MustCompile(`{{[^}]*}}`).ReplaceAllString(text, " ")
	for _, m := range named.FindAllStringSubmatch(text, -1) {
		phrase, number := m[1], m[2]
		if slices.Contains(notKeywords, phrase) {
			continue
		}
		sent := strings.TrimSpace(phrase + " " + number)
		cmd := s.Match(sent)
		switch {
		case cmd.Name == "":
			out = append(out, sent)
		case number != "" && cmd.Arg != number:
			out = append(out, sent+" (the number is not taken)")
		case cmd.Name == keyword.Language && strings.Contains(phrase, " ") && cmd.Arg == "":
			out = append(out, sent+" (the language is not understood)")
		}
	}
	return out
}

func TestUnaccepted(t *testing.T) {
	s := fixtureSet(t)
	tests := []struct {
		text string
		want []string
	}{
		{"Willay: envie {{.Keywords}}. Para su saldo: SALDO y su clave de 4 numeros.", nil},
		{"Kaynata: QULLQI 1234", nil},
		{"Min korikinin: KORIKI itan min clave 4 nomiro.", nil},
		{"IDIOMA ES (español), IDIOMA QU (runasimi), IDIOMA SHP (shipibo).", nil},
		{"Kutimunanpaq ALTA apachimuway. BAJA", nil},
		{"SMS-pi apachimuway, DNI-ykita apay, clave (PIN)", nil},
		{"Willay: envie SALDOS", []string{"SALDOS"}},
		{"Kaynata: QULLQI 12345", []string{"QULLQI 12345 (the number is not taken)"}},
		{"IDIOMA FR (français)", []string{"IDIOMA FR (the language is not understood)"}},
		{"Min korikinin: NOKON KORIKI itan", []string{"NOKON KORIKI"}}, // the fixture has only KORIKI
	}
	for _, tt := range tests {
		if got := unaccepted(s, tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("unaccepted(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestShippedTextsPromiseKeywords: every keyword a shipped text tells
// people to send, in every language (sms.help: QULLQI, KORIKI; sms.stop:
// ALTA; sms.language: IDIOMA QU ...), is one flows/sms.yaml accepts.
func TestShippedTextsPromiseKeywords(t *testing.T) {
	s, _ := shippedSet(t)
	c, err := catalog.Load(os.DirFS("../../locales"), ".")
	if err != nil {
		t.Fatal(err)
	}
	checked := map[string]int{}
	for _, lang := range c.Languages() {
		for _, id := range c.IDs() {
			m := c.Message(lang, id)
			if m == nil {
				continue
			}
			for _, form := range []string{m.One, m.Other} {
				if bad := unaccepted(s, form); len(bad) > 0 {
					t.Errorf("%s [%s] tells people to send %q, which %s does not accept: %q", id, lang, bad, shipped, form)
				}
				checked[lang] += len(named.FindAllString(form, -1))
			}
		}
	}
	for _, lang := range []string{"es", "qu", "shp"} {
		for _, id := range []string{"sms.help", "sms.pin.needed"} {
			if len(named.FindAllString(c.Message(lang, id).Other, -1)) == 0 {
				t.Errorf("%s [%s] names no keyword: the test would prove nothing", id, lang)
			}
		}
		if checked[lang] == 0 {
			t.Errorf("no keyword named in %s", lang)
		}
	}
}
