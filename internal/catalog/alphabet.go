package catalog

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/goccy/go-yaml"
)

// LoanwordsFile, in the locales folder, lists the words a text may write
// outside its language's official alphabet: names, Spanish loans, SMS
// keywords. It is not a language file.
const LoanwordsFile = "loanwords.yaml"

// allLanguages is the key of the loanwords every language accepts.
const allLanguages = "all"

// Alphabet names the official spelling that texts in lang are checked
// against, or "" when none is checked (Spanish).
func Alphabet(lang string) string {
	switch Macrolanguage(lang) {
	case "qu":
		return "MINEDU Quechua spelling (vowels a i u)"
	case "shp":
		return "Shipibo-Konibo alphabet (RM 303-2015-MINEDU)"
	}
	return ""
}

// Foreign is a word written with letters outside its language's alphabet.
type Foreign struct {
	Word    string // as written
	Letters string // the letters outside the alphabet, each once
}

func (f Foreign) String() string { return fmt.Sprintf("%s (%s)", f.Word, f.Letters) }

// actionRE is any template action: {{.Name}} and what it holds are
// filled in by the program, never spelled by the translator.
var actionRE = regexp.MustCompile(`{{[^}]*}}`)

// OutsideAlphabet lists the words of text (a text in lang) that use letters
// outside lang's official alphabet. Template actions, digits and
// punctuation are not words; a loanword of LoanwordsFile passes, alone or
// with a suffix spelled in the alphabet ("clave-ykiwan", "grupobo").
func (c *Catalog) OutsideAlphabet(lang, text string) []Foreign {
	bad := outside[Macrolanguage(lang)]
	if bad == nil {
		return nil
	}
	loans := c.loanwords(lang)
	var out []Foreign
	for _, w := range strings.FieldsFunc(actionRE.ReplaceAllString(text, " "), notLetter) {
		lower := strings.ToLower(w)
		if letters := bad(lower); letters != "" && !loaned(lower, loans, bad) {
			out = append(out, Foreign{Word: w, Letters: letters})
		}
	}
	return out
}

func notLetter(r rune) bool { return !unicode.IsLetter(r) }

// loaned tells whether word is a loanword, or a loanword followed by a
// suffix that is itself in the alphabet.
func loaned(word string, loans []string, bad func(string) string) bool {
	for _, l := range loans {
		if strings.HasPrefix(word, l) && bad(word[len(l):]) == "" {
			return true
		}
	}
	return false
}

// outside maps a macrolanguage to what reports the letters of a lower-case
// word outside its alphabet.
var outside = map[string]func(string) string{
	"qu":  quechuaOutside,
	"shp": shipiboOutside,
}

// quechuaOutside reports e and o, plain or accented: MINEDU writes
// Southern Quechua with three vowels.
func quechuaOutside(word string) string {
	var out []rune
	for _, r := range word {
		if strings.ContainsRune("eéèêëoóòôö", r) && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return string(out)
}

// shipiboLetters are the letters Shipibo-Konibo writes on their own; c
// appears only in ch, and h only in ch and sh.
const shipiboLetters = "abeijkmnoprstwxy"

func shipiboOutside(word string) string {
	rs := []rune(word)
	var out []rune
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		next := rune(0)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		switch {
		case (r == 'c' || r == 's') && next == 'h':
			i++ // the digraph ch or sh
			continue
		case strings.ContainsRune(shipiboLetters, r):
			continue
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return string(out)
}

// loanwords lists the loanwords lang accepts, lower case, longest first so
// that the longest loanword takes its suffix.
func (c *Catalog) loanwords(lang string) []string {
	out := slices.Clone(c.loans[allLanguages])
	out = append(out, c.loans[Macrolanguage(lang)]...)
	if base := Macrolanguage(lang); base != lang {
		out = append(out, c.loans[lang]...)
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// parseLoanwords reads LoanwordsFile: a list per language code, and one
// under "all" for every language. A name of several words is listed
// whole; each of its words is accepted.
func parseLoanwords(name string, buf []byte) (map[string][]string, error) {
	var doc map[string][]string
	if err := yaml.Unmarshal(buf, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := map[string][]string{}
	for key, words := range doc {
		if key != allLanguages && !langCode.MatchString(key) {
			return nil, fmt.Errorf("%s: %q is not a language code: list loanwords under a code (qu, shp) or under %q", name, key, allLanguages)
		}
		for _, w := range words {
			for _, part := range strings.FieldsFunc(strings.ToLower(w), notLetter) {
				out[key] = append(out[key], part)
			}
		}
	}
	return out, nil
}

// isLoanwordsFile tells a Load which file of the locales folder is no
// language.
func isLoanwordsFile(name string) bool { return path.Base(name) == LoanwordsFile }
