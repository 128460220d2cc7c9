package flow

import (
	"fmt"
	"sort"
	"strings"
)

// Severity of a problem: errors stop a flow set from running.
type Severity int

const (
	Error Severity = iota
	Warning
)

// Problem is one thing wrong, with where it is.
type Problem struct {
	Severity Severity
	File     string
	Node     string
	Message  string // message ID, when the problem is about a text
	Lang     string
	Text     string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Node != "" {
		fmt.Fprintf(&b, ": node %s", p.Node)
	}
	if p.Message != "" {
		fmt.Fprintf(&b, ": message %s", p.Message)
	}
	if p.Lang != "" {
		fmt.Fprintf(&b, " [%s]", p.Lang)
	}
	b.WriteString(": ")
	b.WriteString(p.Text)
	if p.Severity == Warning {
		return "warning: " + b.String()
	}
	return b.String()
}

// ActionSpec is what validation must know of a Go action.
type ActionSpec struct {
	Outcomes []string // the outcomes an action node must route
	Input    bool     // it takes what the person typed (input nodes)
}

// Spec is what the code offers to flows: actions, validators, and the
// flows that the gateway enters by name.
type Spec struct {
	Actions    map[string]ActionSpec
	Validators map[string]bool
	Required   []string // flow names that must exist
}

// Texts answers whether a message ID exists in the source language.
type Texts interface {
	Has(lang, id string) bool
}

// Validate checks the whole set and returns every problem found, sorted by
// file and node, never only the first.
func Validate(s *Set, spec Spec, texts Texts, source string) []Problem {
	var ps []Problem
	for _, name := range spec.Required {
		if s.Flows[name] == nil {
			ps = append(ps, Problem{File: "flows", Text: fmt.Sprintf("flow %q is missing: the service needs it", name)})
		}
	}
	for _, f := range s.Flows {
		ps = append(ps, validateFlow(f, spec, texts, source)...)
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Node < ps[j].Node
	})
	return ps
}

func validateFlow(f *Flow, spec Spec, texts Texts, source string) []Problem {
	v := &validator{f: f, spec: spec, texts: texts, source: source}
	if f.Name == "" {
		v.add("", `missing "flow:" name`)
	}
	if f.Nodes[f.Start] == nil {
		v.add("", fmt.Sprintf("start %q does not exist", f.Start))
	}
	for _, id := range f.Order() {
		v.node(f.Nodes[id])
	}
	v.reachable()
	return v.ps
}

type validator struct {
	f      *Flow
	spec   Spec
	texts  Texts
	source string
	ps     []Problem
}

func (v *validator) add(node, text string) {
	v.ps = append(v.ps, Problem{File: v.f.File, Node: node, Text: text})
}

func (v *validator) text(n *Node, field, id string, required bool) {
	if id == "" {
		if required {
			v.add(n.ID, fmt.Sprintf("%s node needs %q", n.Type, field))
		}
		return
	}
	if !v.texts.Has(v.source, id) {
		v.ps = append(v.ps, Problem{File: v.f.File, Node: n.ID, Message: id, Lang: v.source,
			Text: fmt.Sprintf("%s %q does not exist in locales/%s.yaml", field, id, v.source)})
	}
}

func (v *validator) target(n *Node, what, to string) {
	if to == "" {
		v.add(n.ID, what+" has no next node")
	} else if v.f.Nodes[to] == nil {
		v.add(n.ID, fmt.Sprintf("%s: next %q does not exist", what, to))
	}
}

func (v *validator) node(n *Node) {
	switch n.Type {
	case Menu:
		v.text(n, "text", n.Text, true)
		if len(n.Options) == 0 {
			v.add(n.ID, "menu has no options")
		}
		if len(n.Options) > 9 {
			v.add(n.ID, "menu has more than 9 options: phones answer with one digit")
		}
		v.options(n)
		v.noAction(n)
	case Page:
		v.text(n, "text", n.Text, true)
		v.text(n, "item", n.Item, false)
		v.text(n, "empty", n.Empty, false)
		v.options(n)
		if n.Action != "" {
			v.action(n, false)
		}
		if n.Item != "" && n.Action == "" {
			v.add(n.ID, `page lists "item" lines but has no action to list them`)
		}
	case Input:
		v.text(n, "text", n.Text, true)
		if !v.spec.Validators[n.Validate] {
			v.add(n.ID, fmt.Sprintf("unknown validate %q (known: %s)", n.Validate, keys(v.spec.Validators)))
		}
		v.action(n, true)
		if n.Show != "" {
			if spec, ok := v.spec.Actions[n.Show]; !ok || spec.Input || len(spec.Outcomes) > 0 {
				v.add(n.ID, fmt.Sprintf("show %q is not an action that lists values (one a page could use)", n.Show))
			}
		}
		v.text(n, "item", n.Item, false)
		v.text(n, "empty", n.Empty, false)
		if n.Item != "" && n.Show == "" {
			v.add(n.ID, `input lists "item" lines but has no show action to list them`)
		}
	case Action:
		v.action(n, true)
	case End:
		v.text(n, "text", n.Text, true)
	default:
		v.add(n.ID, fmt.Sprintf("unknown type %q (known: menu, page, input, action, end)", n.Type))
	}
}

func (v *validator) options(n *Node) {
	for i, o := range n.Options {
		what := fmt.Sprintf("option %d", i+1)
		v.text(n, what+" label", o.Label, true)
		v.target(n, what, o.Next)
	}
}

func (v *validator) noAction(n *Node) {
	if n.Action != "" || len(n.Next) > 0 {
		v.add(n.ID, "a menu takes no action or next: its options say where to go")
	}
}

// action checks the action's name and, when it routes, that next covers
// exactly its outcomes.
func (v *validator) action(n *Node, routes bool) {
	spec, ok := v.spec.Actions[n.Action]
	if !ok {
		v.add(n.ID, fmt.Sprintf("unknown action %q", n.Action))
		return
	}
	if n.Type == Input && !spec.Input {
		v.add(n.ID, fmt.Sprintf("action %q does not take input", n.Action))
	}
	if !routes {
		return
	}
	for _, o := range spec.Outcomes {
		if _, ok := n.Next[o]; !ok {
			v.add(n.ID, fmt.Sprintf("action %s can end in %q but next has no %q", n.Action, o, o))
		}
	}
	for _, o := range sortedKeys(n.Next) {
		if !contains(spec.Outcomes, o) {
			v.add(n.ID, fmt.Sprintf("next %q: action %s has no such outcome (it has: %s)", o, n.Action, strings.Join(spec.Outcomes, ", ")))
			continue
		}
		v.target(n, "next "+o, n.Next[o])
	}
}

// reachable reports nodes no path from start leads to.
func (v *validator) reachable() {
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		n := v.f.Nodes[id]
		if n == nil || seen[id] {
			return
		}
		seen[id] = true
		for _, o := range n.Options {
			walk(o.Next)
		}
		for _, to := range n.Next {
			walk(to)
		}
	}
	walk(v.f.Start)
	for _, id := range v.f.Order() {
		if !seen[id] && v.f.Nodes[v.f.Start] != nil {
			v.add(id, "unreachable: no menu option or next leads here")
		}
	}
}

func keys(m map[string]bool) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}
