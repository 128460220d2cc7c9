package flow_test

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/willay-pe/willay/internal/catalog"
	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/flow"
)

// The flow package may not import engine (engine imports flow); this
// external test package may, so flows are validated against the real
// actions and validators.

func shippedCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(os.DirFS("../../locales"), ".")
	if err != nil {
		t.Fatalf("load ../../locales: %v", err)
	}
	return c
}

func validate(t *testing.T, set *flow.Set) []string {
	t.Helper()
	var out []string
	for _, p := range flow.Validate(set, engine.Spec(engine.Actions()), shippedCatalog(t), catalog.Source) {
		out = append(out, p.String())
	}
	return out
}

func loadSet(t *testing.T, root string) *flow.Set {
	t.Helper()
	set, _, err := flow.Load(os.DirFS(root), "flows", nil)
	if err != nil {
		t.Fatalf("load %s/flows: %v", root, err)
	}
	return set
}

func TestValidateShipped(t *testing.T) {
	if got := validate(t, loadSet(t, "../..")); len(got) > 0 {
		t.Errorf("the shipped flows have problems:\n%s", strings.Join(got, "\n"))
	}
}

// TestValidateBroken: every problem of every file is reported at once,
// each with its file and node, sorted.
func TestValidateBroken(t *testing.T) {
	want := []string{
		`flows/broken.yaml: node callback: unknown type "paeg" (known: menu, page, input, action, end)`,
		`flows/broken.yaml: node main: option 2: next "visitas" does not exist`,
		`flows/broken.yaml: node payments: unknown action "transfers.lst"`,
		`flows/broken.yaml: node savings: action pin.status can end in "locked" but next has no "locked"`,
		`flows/broken.yaml: node savings.pin: next "done": action pin.verify has no such outcome (it has: ok, wrong, locked)`,
		`flows/broken.yaml: node savings.pin: next ok: next "savings_shw" does not exist`,
		`flows/broken.yaml: node visits: message visits.titel [es]: text "visits.titel" does not exist in locales/es.yaml`,
		`flows/broken.yaml: node visits: unreachable: no menu option or next leads here`,
		`flows/menus.yaml: node main: menu has more than 9 options: phones answer with one digit`,
		`flows/nostart.yaml: start "" does not exist`,
	}
	got := validate(t, loadSet(t, "testdata/broken"))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Validate problems:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestValidateCases checks one mistake at a time in a small flow.
func TestValidateCases(t *testing.T) {
	const head = "flow: participant\nstart: main\nnodes:\n  main:\n"
	const coach = "flow: coach\nstart: main\nnodes:\n  main:\n    type: end\n    text: coach.title\n"
	tests := []struct {
		name string
		flow string // flows/participant.yaml
		want []string
	}{
		{"valid", head + "    type: end\n    text: main.title\n", nil},
		{"no flow name", "start: main\nnodes:\n  main:\n    type: end\n    text: main.title\n", []string{
			`flows: flow "participant" is missing: the service needs it`,
			`flows/participant.yaml: missing "flow:" name`,
		}},
		{"empty menu", head + "    type: menu\n    text: main.title\n", []string{
			`flows/participant.yaml: node main: menu has no options`,
		}},
		{"menu with an action and no text", head + "    type: menu\n    action: pin.status\n    options:\n      - {label: main.savings, next: main}\n", []string{
			`flows/participant.yaml: node main: menu node needs "text"`,
			`flows/participant.yaml: node main: a menu takes no action or next: its options say where to go`,
		}},
		{"option without label or next", head + "    type: menu\n    text: main.title\n    options:\n      - {}\n", []string{
			`flows/participant.yaml: node main: menu node needs "option 1 label"`,
			`flows/participant.yaml: node main: option 1 has no next node`,
		}},
		{"page lists items without an action", head + "    type: page\n    text: visits.title\n    item: visits.item\n", []string{
			`flows/participant.yaml: node main: page lists "item" lines but has no action to list them`,
		}},
		{"input: unknown validator, action without input", head + "    type: input\n    text: pin.prompt\n    validate: dni\n    action: pin.status\n    next: {set: main, unset: main, locked: main}\n", []string{
			`flows/participant.yaml: node main: unknown validate "dni" (known: ddmm, hhmm, option, pin)`,
			`flows/participant.yaml: node main: action "pin.status" does not take input`,
		}},
		{"input: show is not a listing action, items without show", head + "    type: input\n    text: pin.prompt\n    validate: pin\n    action: pin.verify\n    show: pin.verify\n    next: {ok: main, wrong: main, locked: main}\n  other:\n    type: input\n    text: pin.prompt\n    item: visits.item\n    validate: option\n    action: pin.verify\n    next: {ok: main, wrong: main, locked: main}\n", []string{
			`flows/participant.yaml: node main: show "pin.verify" is not an action that lists values (one a page could use)`,
			`flows/participant.yaml: node other: input lists "item" lines but has no show action to list them`,
			`flows/participant.yaml: node other: unreachable: no menu option or next leads here`,
		}},
		{"action outcome with empty target", head + "    type: action\n    action: language.set\n    next: {ok: ''}\n", []string{
			`flows/participant.yaml: node main: next ok has no next node`,
		}},
		{"node with no fields", head + "  other:\n", []string{
			`flows/participant.yaml: node main: unknown type "" (known: menu, page, input, action, end)`,
			`flows/participant.yaml: node other: unknown type "" (known: menu, page, input, action, end)`,
			`flows/participant.yaml: node other: unreachable: no menu option or next leads here`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"flows/participant.yaml": {Data: []byte(tt.flow)},
				"flows/coach.yaml":       {Data: []byte(coach)},
			}
			set, _, err := flow.Load(fsys, "flows", nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := validate(t, set); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"no files", map[string]string{"flows/README.md": "x"}, []string{"flows: no flow files"}},
		{"unknown field", map[string]string{"flows/a.yaml": "flow: a\nstart: main\nnodes:\n  main:\n    type: end\n    txet: x\n"},
			[]string{"flows/a.yaml: ", `unknown field "txet"`}},
		{"yaml syntax", map[string]string{"flows/a.yaml": "flow: a\nnodes: [\n"}, []string{"flows/a.yaml: "}},
		{"same flow twice", map[string]string{"flows/a.yaml": "flow: x\n", "flows/b.yaml": "flow: x\n"},
			[]string{`flows/b.yaml: flow "x" is already defined in flows/a.yaml`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, s := range tt.files {
				fsys[n] = &fstest.MapFile{Data: []byte(s)}
			}
			_, _, err := flow.Load(fsys, "flows", nil)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestVersion: a session is pinned to a version, so any change of a flow
// or of a text must change it, and nothing else may.
func TestVersion(t *testing.T) {
	fsys := fstest.MapFS{"flows/a.yaml": {Data: []byte("flow: a\n")}}
	texts := map[string][]byte{"locales/es.yaml": []byte("a: Hola\n")}
	version := func(fsys fstest.MapFS, extra map[string][]byte) string {
		set, _, err := flow.Load(fsys, "flows", extra)
		if err != nil {
			t.Fatal(err)
		}
		return set.Version
	}
	base := version(fsys, texts)
	if again := version(fsys, texts); again != base {
		t.Errorf("version %s then %s for the same files", base, again)
	}
	tests := []struct {
		name  string
		fsys  fstest.MapFS
		extra map[string][]byte
	}{
		{"flow changed", fstest.MapFS{"flows/a.yaml": {Data: []byte("flow: a \n")}}, texts},
		{"text changed", fsys, map[string][]byte{"locales/es.yaml": []byte("a: Hola!\n")}},
		{"file renamed", fsys, map[string][]byte{"locales/qu.yaml": []byte("a: Hola\n")}},
		{"no texts", fsys, nil},
	}
	for _, tt := range tests {
		if v := version(tt.fsys, tt.extra); v == base {
			t.Errorf("%s: version stayed %s", tt.name, v)
		}
	}
}
