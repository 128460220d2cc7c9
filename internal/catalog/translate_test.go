package catalog_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/willay-pe/willay/internal/catalog"
	"github.com/willay-pe/willay/internal/gsm"
)

// tempLocales copies the shipped locales into a temporary folder.
func tempLocales(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	names, err := filepath.Glob("../../locales/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("glob ../../locales: %v (%d files)", err, len(names))
	}
	for _, n := range names {
		buf, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(n)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadDir(t *testing.T, dir string) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(os.DirFS(dir), ".")
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return c
}

// snapshot is every file of dir, to prove an import wrote nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		buf, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(buf)
	}
	return out
}

func parseMessages(t *testing.T, buf []byte) map[string]*i18n.Message {
	t.Helper()
	msgs, err := i18n.ParseMessageBytes(buf, yaml.Unmarshal)
	if err != nil {
		t.Fatalf("the file does not parse as go-i18n messages: %v\n%s", err, buf)
	}
	out := map[string]*i18n.Message{}
	for _, m := range msgs {
		out[m.ID] = m
	}
	return out
}

func TestExportMissing(t *testing.T) {
	c := shipped(t)
	for _, lang := range []string{"qu", "shp"} {
		t.Run(lang, func(t *testing.T) {
			buf, err := c.Export(lang, false)
			if err != nil {
				t.Fatal(err)
			}
			got := parseMessages(t, buf)
			var want []string
			for _, id := range c.IDs() {
				if c.Status(lang, id) == catalog.Reviewed {
					continue
				}
				want = append(want, id)
				src := c.Message("es", id)
				m := got[id]
				if m == nil {
					t.Errorf("%s (%s) is not exported", id, c.Status(lang, id))
					continue
				}
				if m.Hash != catalog.Hash(src) {
					t.Errorf("%s: hash %q, want the Spanish hash %q", id, m.Hash, catalog.Hash(src))
				}
				// The draft is shown, never pre-filled: handing the file back
				// untouched must not mark drafts reviewed.
				if m.Other != "" {
					t.Errorf("%s: other %q, want it empty for the translator", id, m.Other)
				}
				// A text of several lines is shown on one, with \n.
				if draft := strings.ReplaceAll(c.Message(lang, id).Other, "\n", `\n`); !bytes.Contains(buf, []byte("# draft: "+draft+"\n")) {
					t.Errorf("%s: no line %q", id, "# draft: "+draft)
				}
				if es := strings.ReplaceAll(src.Other, "\n", `\n`); !bytes.Contains(buf, []byte("# es: "+es+"\n")) {
					t.Errorf("%s: no line %q", id, "# es: "+es)
				}
				// The draft's description, where its words come from, goes
				// with it: the translator sees why a word was chosen.
				if note := c.Message(lang, id).Description; note != "" && !bytes.Contains(buf, []byte("# draft note: "+note+"\n")) {
					t.Errorf("%s: no line %q", id, "# draft note: "+note)
				}
			}
			if len(want) == 0 {
				t.Fatalf("the shipped %s.yaml has no drafts: the test needs some", lang)
			}
			if len(got) != len(want) {
				t.Errorf("exported %d messages, want the %d not reviewed", len(got), len(want))
			}
			notes := strings.Count(string(buf), "\n# draft note: ")
			if notes < len(want)/2 {
				t.Errorf("%d of %d exported drafts carry a draft note: the shipped drafts name their sources", notes, len(want))
			}
			for _, line := range []string{"# draft\n", "# es (one): Clave incorrecta. Le queda {{.Count}} intento.\n"} {
				if !bytes.Contains(buf, []byte(line)) {
					t.Errorf("export lacks %q", line)
				}
			}
		})
	}
	if _, err := c.Export("es", false); err == nil {
		t.Error("Export(es) succeeded: Spanish is the source")
	}
}

// fill edits an exported file as a translator would: the texts in fill
// are written, every other `other` is emptied (skipped).
func fill(t *testing.T, export []byte, texts map[string]string) []byte {
	t.Helper()
	var b strings.Builder
	id, done := "", 0
	for _, line := range strings.SplitAfter(string(export), "\n") {
		switch {
		case strings.HasPrefix(line, `"`) && strings.HasSuffix(line, "\":\n"):
			id = strings.Trim(strings.TrimSuffix(line, ":\n"), `"`)
		case strings.HasPrefix(line, "  other: "):
			text, ok := texts[id]
			if ok {
				done++
			}
			line = fmt.Sprintf("  other: %q\n", text)
		}
		b.WriteString(line)
	}
	if done != len(texts) {
		t.Fatalf("filled %d texts of %d: IDs not in the export", done, len(texts))
	}
	return []byte(b.String())
}

func TestImportRoundTrip(t *testing.T) {
	dir := tempLocales(t)
	before := snapshot(t, dir)
	c := loadDir(t, dir)
	export, err := c.Export("qu", false)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{
		"main.title": "Napaykullayki {{.Name}}. Willay:",
		"nav.more":   "98 Qatiqnin",
	}
	n, problems, err := c.Import(dir, "qu", fill(t, export, texts), nil)
	if err != nil || len(problems) > 0 || n != len(texts) {
		t.Fatalf("Import = %d, %v, %v; want %d, no problems", n, problems, err, len(texts))
	}

	after := loadDir(t, dir)
	for _, id := range after.IDs() {
		want, old := catalog.Draft, c.Message("qu", id)
		if _, ok := texts[id]; ok {
			want = catalog.Reviewed
		} else if m := after.Message("qu", id); m == nil || m.Other != old.Other || m.Description != old.Description {
			t.Errorf("%s changed: %+v, was %+v", id, m, old)
		}
		if got := after.Status("qu", id); got != want {
			t.Errorf("Status(qu, %s) = %v, want %v", id, got, want)
		}
	}
	if got, _, err := after.Text("qu", "main.title", map[string]any{"Name": "Rosa"}); err != nil || got != "Napaykullayki Rosa. Willay:" {
		t.Errorf("reloaded Text(qu, main.title) = %q, %v", got, err)
	}
	if got, _, _ := after.Text("quz", "nav.more", nil); got != "98 Qatiqnin" {
		t.Errorf("reloaded Text(quz, nav.more) = %q, want the imported Quechua", got)
	}

	written := snapshot(t, dir)
	lead := before["qu.yaml"][:strings.Index(before["qu.yaml"], "\nnav.back:")+1]
	if !strings.HasPrefix(lead, "# Southern Quechua") || !strings.HasPrefix(written["qu.yaml"], lead) {
		t.Errorf("qu.yaml lost its leading comment:\n%s", written["qu.yaml"][:min(400, len(written["qu.yaml"]))])
	}
	for name := range before {
		if name != "qu.yaml" && written[name] != before[name] {
			t.Errorf("%s changed: only qu.yaml may", name)
		}
	}
	if len(written) != len(before) {
		t.Errorf("files after import %v, before %v", keysOf(written), keysOf(before))
	}

	// Nothing is left to do for the imported texts.
	again, _ := after.Export("qu", false)
	got := parseMessages(t, again)
	for id := range texts {
		if got[id] != nil {
			t.Errorf("%s is exported again after review", id)
		}
	}
}

// TestImportNewVariant: a variety without a file gets one holding only
// what was imported, and falls back to qu for the rest.
func TestImportNewVariant(t *testing.T) {
	dir := tempLocales(t)
	c := loadDir(t, dir)
	src := c.Message("es", "main.title")
	file := fmt.Sprintf("main.title:\n  hash: %s\n  other: \"Allillanchu {{.Name}}, Qusqu. Willay:\"\n", catalog.Hash(src))
	if n, ps, err := c.Import(dir, "quz", []byte(file), nil); err != nil || len(ps) > 0 || n != 1 {
		t.Fatalf("Import(quz) = %d, %v, %v", n, ps, err)
	}
	after := loadDir(t, dir)
	tests := []struct{ id, want string }{
		{"main.title", "Allillanchu Rosa, Qusqu. Willay:"},
		{"main.savings", "Qullqi waqaychasqay"},
	}
	for _, tt := range tests {
		if got, _, err := after.Text("quz", tt.id, map[string]any{"Name": "Rosa"}); err != nil || got != tt.want {
			t.Errorf("Text(quz, %s) = %q, %v; want %q", tt.id, got, err, tt.want)
		}
	}
	if got := after.Status("quz", "main.title"); got != catalog.Reviewed {
		t.Errorf("Status(quz, main.title) = %v", got)
	}
}

func TestImportRefuses(t *testing.T) {
	c := shipped(t)
	hash := func(id string) string { return catalog.Hash(c.Message("es", id)) }
	// A good text rides along in every file: it must not be written either.
	good := fmt.Sprintf("nav.more:\n  hash: %s\n  other: \"98 Qatiqnin\"\n", hash("nav.more"))
	entry := func(id, h, other string) string {
		return fmt.Sprintf("%q:\n  hash: %s\n  other: %q\n", id, h, other)
	}
	noGSM := func(lang, text string) string {
		if bad := gsm.NonGSM7(gsm.Normalize(text, gsm.Options{FoldAccents: true})); len(bad) > 0 {
			return fmt.Sprintf("characters outside GSM-7 %q", string(bad))
		}
		return ""
	}
	tests := []struct {
		name string
		file string
		want []catalog.ImportProblem
	}{
		{"variables differ", entry("main.title", hash("main.title"), "Allillanchu {{.Nombre}}. Willay:"),
			[]catalog.ImportProblem{{"main.title", "variables {Nombre} differ from the Spanish {Name}: keep them as they are"}}},
		{"variable dropped", entry("savings.balance", hash("savings.balance"), "Qullqiyki: {{.Balance}}."),
			[]catalog.ImportProblem{{"savings.balance", "variables {Balance} differ from the Spanish {AsOf, Balance}: keep them as they are"}}},
		{"stale hash", entry("main.title", catalog.Hash(&i18n.Message{Other: "Hola {{.Name}}:"}), "Allillanchu {{.Name}}. Willay:"),
			[]catalog.ImportProblem{{"main.title", "the Spanish text changed since this file was exported; export again and translate the new text"}}},
		{"no hash", "main.title:\n  other: \"Allillanchu {{.Name}}\"\n",
			[]catalog.ImportProblem{{"main.title", "the Spanish text changed since this file was exported; export again and translate the new text"}}},
		{"unknown ID", entry("main.titel", hash("main.title"), "Allillanchu {{.Name}}. Willay:"),
			[]catalog.ImportProblem{{"main.titel", "no such text in Spanish: it was removed or renamed; export again"}}},
		{"check rejects", entry("main.title", hash("main.title"), "Allillanchu {{.Name}} 你好. Willay:"),
			[]catalog.ImportProblem{{"main.title", `characters outside GSM-7 "你好"`}}},
		{"every problem at once, in file order",
			entry("nav.back", hash("nav.back"), "0 Kutiy ✓") + entry("main.titel", hash("main.title"), "x") +
				entry("error.pin", hash("main.title"), "4 yupayta qillqay."),
			[]catalog.ImportProblem{
				{"nav.back", `characters outside GSM-7 "✓"`},
				{"main.titel", "no such text in Spanish: it was removed or renamed; export again"},
				{"error.pin", "the Spanish text changed since this file was exported; export again and translate the new text"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempLocales(t)
			before := snapshot(t, dir)
			n, problems, err := c.Import(dir, "qu", []byte(good+tt.file), noGSM)
			if err != nil {
				t.Fatal(err)
			}
			if n != 0 || !reflect.DeepEqual(problems, tt.want) {
				t.Errorf("Import = %d, %q; want 0, %q", n, problems, tt.want)
			}
			if after := snapshot(t, dir); !reflect.DeepEqual(after, before) {
				t.Errorf("Import refused but changed files: %v", changed(before, after))
			}
		})
	}
}

// TestImportErrors: what is not a translation file at all, or not for a
// language that takes translations, writes nothing.
func TestImportErrors(t *testing.T) {
	c := shipped(t)
	good := fmt.Sprintf("nav.more:\n  hash: %s\n  other: \"98 Astawan\"\n", catalog.Hash(c.Message("es", "nav.more")))
	tests := []struct {
		name, lang, file string
	}{
		{"not yaml", "qu", "nav.more: [\n"},
		{"not a message file", "qu", "nav.more: 3\n"},
		{"into the Spanish source", "es", good},
		{"not a language code", "../qu", good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempLocales(t)
			before := snapshot(t, dir)
			n, problems, err := c.Import(filepath.Join(dir), tt.lang, []byte(tt.file), nil)
			if err == nil && len(problems) == 0 {
				t.Errorf("Import(%s) = %d, no error", tt.lang, n)
			}
			if after := snapshot(t, dir); !reflect.DeepEqual(after, before) {
				t.Errorf("files changed: %v", changed(before, after))
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "qu.yaml")); err == nil {
				t.Errorf("a file was written outside the locales folder")
			}
		})
	}
}

// TestImportSkipsEmpty: an emptied `other` is a text the translator
// skipped; it is neither written nor checked.
func TestImportSkipsEmpty(t *testing.T) {
	dir := tempLocales(t)
	c := loadDir(t, dir)
	file := fmt.Sprintf("nav.more:\n  hash: %s\n  other: \"98 Qatiqnin\"\n", catalog.Hash(c.Message("es", "nav.more"))) +
		"main.title:\n  hash: sha1-stale\n  other: \"\"\n" +
		"no.such:\n  hash: sha1-stale\n  other: \"\"\n"
	n, problems, err := c.Import(dir, "qu", []byte(file), nil)
	if err != nil || len(problems) > 0 || n != 1 {
		t.Fatalf("Import = %d, %v, %v; want 1 text, no problems", n, problems, err)
	}
	after := loadDir(t, dir)
	if got := after.Status("qu", "main.title"); got != catalog.Draft {
		t.Errorf("Status(qu, main.title) = %v, want draft (skipped)", got)
	}
	if got := after.Message("qu", "main.title").Other; got != c.Message("qu", "main.title").Other {
		t.Errorf("skipped main.title became %q", got)
	}
	if after.Has("qu", "no.such") {
		t.Error("a skipped unknown ID was written")
	}
}

func changed(before, after map[string]string) []string {
	var out []string
	for name := range before {
		if after[name] != before[name] {
			out = append(out, name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			out = append(out, "new "+name)
		}
	}
	sort.Strings(out)
	return out
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
