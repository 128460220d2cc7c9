package engine

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/willay-pe/willay/internal/catalog"
	"github.com/willay-pe/willay/internal/flow"
	"github.com/willay-pe/willay/internal/gsm"
	"github.com/willay-pe/willay/internal/program"
)

// Check validates a bundle as `willay flows check` does: the flows' graph,
// then every text of every language: missing, unreviewed, variables,
// characters outside GSM-7, letters outside the language's official
// alphabet, and screens that do not fit.
func Check(b *Bundle, actions map[string]Action, screens Screens) []flow.Problem {
	ps := flow.Validate(b.Flows, Spec(actions), b.Catalog, catalog.Source)
	c := &checker{b: b, actions: actions, screens: screens}
	ps = append(ps, c.texts()...)
	ps = append(ps, c.keywords()...)
	ps = append(ps, c.reminders()...)
	if !hasError(ps) {
		ps = append(ps, c.screensFit()...)
	}
	return ps
}

func hasError(ps []flow.Problem) bool {
	for _, p := range ps {
		if p.Severity == flow.Error {
			return true
		}
	}
	return false
}

type checker struct {
	b       *Bundle
	actions map[string]Action
	screens Screens
}

// texts checks every message of every language against Spanish.
func (c *checker) texts() []flow.Problem {
	var ps []flow.Problem
	cat := c.b.Catalog
	drafts := map[string]int{}
	for _, lang := range cat.Languages() {
		file := cat.File(lang)
		for _, id := range cat.IDs() {
			p := flow.Problem{File: file, Message: id, Lang: lang}
			switch cat.Status(lang, id) {
			case catalog.Missing:
				if isMacro(lang) {
					p.Text = "missing translation: Spanish will be shown"
					ps = append(ps, p)
				}
				continue
			case catalog.Draft, catalog.Stale:
				drafts[lang]++
			}
			src, m := cat.Message(catalog.Source, id), cat.Message(lang, id)
			if got, want := catalog.Variables(m.Other), catalog.Variables(src.Other); got != want {
				p.Text = fmt.Sprintf("variables %s differ from Spanish %s", got, want)
				ps = append(ps, p)
			}
			for _, form := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
				ps = append(ps, c.form(p, lang, form)...)
				ps = append(ps, c.spelling(p, lang, form)...)
			}
			ps = append(ps, c.plurals(p, lang, id)...)
		}
	}
	for _, lang := range sortedLangs(drafts) {
		ps = append(ps, flow.Problem{Severity: flow.Warning, File: cat.File(lang), Lang: lang,
			Text: fmt.Sprintf("%d texts are unreviewed drafts or changed since review: willay locales export --missing --lang %s", drafts[lang], lang)})
	}
	return ps
}

var action = regexp.MustCompile(`{{[^}]*}}`)

// plurals renders a text that counts ({{.Count}} picks its plural form)
// with counts that need every form a language has: a missing form ("one"
// in Spanish) would otherwise fail only when someone has exactly one.
func (c *checker) plurals(p flow.Problem, lang, id string) []flow.Problem {
	if !strings.Contains(c.b.Catalog.Message(catalog.Source, id).Other, ".Count") {
		return nil
	}
	for _, n := range []int{0, 1, 2, 5, 11, 21, 100} {
		if _, _, err := c.b.Catalog.Text(lang, id, map[string]any{"Count": n}); err != nil {
			p.Text = fmt.Sprintf("with Count %d: %v: give the plural forms the language needs (one, other)", n, err)
			return []flow.Problem{p}
		}
	}
	return nil
}

// form checks one text on its own: GSM-7 only, and no longer than a screen
// (a notice or page line that long could never be shown whole).
func (c *checker) form(p flow.Problem, lang, text string) []flow.Problem {
	var ps []flow.Problem
	norm := c.screens.normalize(lang, text)
	if bad := gsm.NonGSM7(norm); len(bad) > 0 {
		p.Text = fmt.Sprintf("characters outside GSM-7 %q force UCS-2 (80-character screens): write them plainly", string(bad))
		ps = append(ps, p)
	}
	// Variables are left out: what is too long without its values can
	// never be shown whole; with values, screens are measured below. SMS
	// texts (sms.*) are not screens: keywords() counts their segments.
	if bare := action.ReplaceAllString(norm, ""); !strings.HasPrefix(p.Message, "sms.") && !c.screens.Limits.Fits(bare) {
		enc, n := gsm.Measure(bare)
		p.Text = fmt.Sprintf("%d characters in %s without its variables, longer than a whole screen (%d): shorten it", n, enc, c.screens.Limits.Max(enc))
		ps = append(ps, p)
	}
	return ps
}

// spelling warns of words written outside the language's official
// alphabet (Shipibo-Konibo's 19 letters, Quechua's three vowels): a
// misspelling, or a loanword that locales/loanwords.yaml should list.
func (c *checker) spelling(p flow.Problem, lang, text string) []flow.Problem {
	words := c.b.Catalog.OutsideAlphabet(lang, text)
	if len(words) == 0 {
		return nil
	}
	list := make([]string, len(words))
	for i, w := range words {
		list[i] = w.String()
	}
	p.Severity = flow.Warning
	p.Text = fmt.Sprintf("letters outside the %s: %s: spell it in that alphabet, or list a name or loanword in locales/%s",
		catalog.Alphabet(lang), strings.Join(list, ", "), catalog.LoanwordsFile)
	return []flow.Problem{p}
}

// keywords reports the SMS keyword file's problems, and every text that
// would take more than two SMS segments in some language.
func (c *checker) keywords() []flow.Problem {
	var ps []flow.Problem
	if c.b.Keywords == nil {
		return []flow.Problem{{File: keywordsFile, Text: "missing: participants could not ask anything by SMS"}}
	}
	for _, p := range c.b.Keywords.Problems() {
		ps = append(ps, flow.Problem{File: keywordsFile, Text: p})
	}
	for _, lang := range c.b.Catalog.Languages() {
		for _, id := range c.b.Catalog.IDs() {
			if !c.b.Catalog.Has(lang, id) {
				continue
			}
			text := c.screens.normalize(lang, action.ReplaceAllString(c.b.Catalog.Message(lang, id).Other, ""))
			if enc, n := gsm.Segments(text); n > 2 {
				ps = append(ps, flow.Problem{Severity: flow.Warning, File: c.b.Catalog.File(lang), Message: id, Lang: lang,
					Text: fmt.Sprintf("an SMS of %d segments in %s: more than 2 costs more and may arrive in pieces", n, enc)})
			}
		}
	}
	return ps
}

// reminders reports what is wrong with the reminder rules. Without the
// file nobody is reminded of anything, which is a choice, not an error.
func (c *checker) reminders() []flow.Problem {
	if c.b.Reminders == nil {
		return []flow.Problem{{Severity: flow.Warning, File: remindersFile, Text: "missing: no reminders will be sent"}}
	}
	var ps []flow.Problem
	for _, p := range c.b.Reminders.Problems(c.b.Catalog) {
		ps = append(ps, flow.Problem{File: remindersFile, Text: p})
	}
	return ps
}

// isMacro tells whether lang must have every text: Quechua varieties' own
// files (quz.yaml) may hold only what differs from qu.yaml.
func isMacro(lang string) bool { return catalog.Macrolanguage(lang) == lang }

func sortedLangs(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// screensFit renders every screen node in every language with sample data
// and reports what cannot be shown: a text longer than a whole screen, an
// END screen that needs pages, and menus or prompts that need pages.
func (c *checker) screensFit() []flow.Problem {
	var ps []flow.Problem
	for _, lang := range c.b.Catalog.Languages() {
		for _, name := range sortedFlows(c.b.Flows) {
			f := c.b.Flows.Flows[name]
			for _, id := range f.Order() {
				n := f.Nodes[id]
				if !n.Screen() && n.Type != flow.End {
					continue
				}
				ps = append(ps, c.screen(lang, f, n)...)
			}
		}
	}
	return ps
}

func (c *checker) screen(lang string, f *flow.Flow, n *flow.Node) []flow.Problem {
	r := c.sampleRun(lang, f, n)
	var ps []flow.Problem
	body, err := r.body()
	if err != nil {
		return []flow.Problem{{File: f.File, Node: n.ID, Lang: lang, Text: err.Error()}}
	}
	for _, line := range body {
		if !c.screens.Limits.Fits(line) {
			enc, size := gsm.Measure(line)
			ps = append(ps, flow.Problem{File: f.File, Node: n.ID, Lang: lang,
				Text: fmt.Sprintf("a text is %d characters in %s, over one screen (%d): %q", size, enc, c.screens.Limits.Max(enc), line)})
		}
		if strings.Contains(line, "<no value>") {
			ps = append(ps, flow.Problem{File: f.File, Node: n.ID, Lang: lang, Text: fmt.Sprintf("a variable has no value: %q", line)})
		}
	}
	pages, _ := r.pages()
	if len(pages) > 1 && n.Type != flow.Page {
		sev := flow.Warning
		if n.Type == flow.End {
			sev = flow.Error
		}
		enc, size := gsm.Measure(join(body, ""))
		ps = append(ps, flow.Problem{Severity: sev, File: f.File, Node: n.ID, Lang: lang,
			Text: fmt.Sprintf("screen needs %d pages (%d characters in %s, limit %d): shorten its texts", len(pages), size, enc, c.screens.Limits.Max(enc))})
	}
	return ps
}

// sampleRun stands a run on node n with sample data and no storage.
func (c *checker) sampleRun(lang string, f *flow.Flow, n *flow.Node) *run {
	samples := map[string]Action{}
	for name, a := range c.actions {
		sample := a.Sample
		a.Run = func(context.Context, *Call) (Result, error) { return sample, nil }
		samples[name] = a
	}
	e := New(Config{Actions: samples, Screens: c.screens})
	p := &program.Person{Name: "Maximiliana", Lang: lang}
	stack := []string{}
	if n.ID != f.Start {
		stack = []string{f.Start}
	}
	return &run{e: e, b: c.b, p: p, s: &Session{Flow: f.Name, Node: n.ID, Stack: stack, Vars: map[string]string{}}}
}

func sortedFlows(s *flow.Set) []string {
	var out []string
	for k := range s.Flows {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
