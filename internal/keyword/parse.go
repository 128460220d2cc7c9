package keyword

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// Parse reads a keyword file. It fails only when the file is not YAML of
// the right shape; everything else wrong is collected in Problems, so that
// staff see every mistake at once.
func Parse(file string, buf []byte) (*Set, error) {
	var doc struct {
		Keywords map[string]map[string][]string `yaml:"keywords"`
	}
	if err := yaml.UnmarshalWithOptions(buf, &doc, yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("%s: %s", file, yaml.FormatError(err, false, true))
	}
	s := &Set{file: file, byKey: map[string]entry{}, shown: map[string]map[string][]string{}}
	for _, name := range unknown(doc.Keywords, Commands) {
		s.problem(name, "", "unknown command; the commands are "+strings.Join(Commands, ", "))
	}
	for _, name := range Commands {
		langs, ok := doc.Keywords[name]
		if !ok {
			s.problem(name, "", "missing; it needs keywords in "+strings.Join(languages, ", "))
			continue
		}
		s.addCommand(name, langs)
	}
	return s, nil
}

func (s *Set) addCommand(name string, langs map[string][]string) {
	for _, lang := range unknown(langs, languages) {
		s.problem(name, lang, "unknown language; use "+strings.Join(languages, ", "))
	}
	s.shown[name] = map[string][]string{}
	for _, lang := range languages {
		if len(langs[lang]) == 0 {
			s.problem(name, lang, "no keyword; every command needs one in each language (a Spanish one may be repeated)")
		}
		for i, kw := range langs[lang] {
			s.addKeyword(entry{name: name, lang: lang, kw: canonical(kw)}, i+1)
		}
	}
}

// addKeyword indexes one keyword, the n-th of its list, or says why not.
func (s *Set) addKeyword(e entry, n int) {
	if e.kw == "" {
		s.problem(e.name, e.lang, fmt.Sprintf("keyword %d is empty", n))
		return
	}
	if bad := outside(e.kw); bad != "" {
		s.problem(e.name, e.lang, fmt.Sprintf("keyword %q has %q; write only letters A-Z, Ñ and digits", e.kw, bad))
		return
	}
	ws := words(e.kw)
	key := strings.Join(ws, " ")
	prev, taken := s.byKey[key]
	if taken && prev.name != e.name {
		s.problem(e.name, e.lang, conflict(e.kw, prev))
		return
	}
	if !taken { // else the same command, from an earlier language: it keeps it
		s.byKey[key] = e
		s.maxWords = max(s.maxWords, len(ws))
	}
	if shown := s.shown[e.name][e.lang]; !slices.Contains(shown, e.kw) {
		s.shown[e.name][e.lang] = append(shown, e.kw)
	}
}

// conflict explains a keyword taken by another command; when the two are
// written differently (AÑAY, ANAY) it names the other spelling, or staff
// would search the file for a keyword that is not there.
func conflict(kw string, prev entry) string {
	msg := fmt.Sprintf("keyword %q is already a keyword of %s [%s]", kw, prev.name, prev.lang)
	if prev.kw != kw {
		msg += fmt.Sprintf(", written %q: a text cannot tell them apart", prev.kw)
	}
	return msg
}

func (s *Set) problem(command, lang, text string) {
	where := "command " + command
	if lang != "" {
		where += " [" + lang + "]"
	}
	s.problems = append(s.problems, fmt.Sprintf("%s: %s: %s", s.file, where, text))
}

// unknown returns the keys of m that are not in known, sorted.
func unknown[V any](m map[string]V, known []string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(known, k) {
			out = append(out, k)
		}
	}
	return out
}
