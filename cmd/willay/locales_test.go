package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/willay-pe/willay/internal/catalog"
)

// tempLocalesDir copies the shipped locales to a temporary folder and
// points WILLAY_LOCALES at it.
func tempLocalesDir(t *testing.T) (string, *catalog.Catalog) {
	t.Helper()
	dir := t.TempDir()
	copyYAMLFiles(t, "../../locales", dir)
	t.Setenv("WILLAY_LOCALES", dir)
	c, err := catalog.Load(os.DirFS(dir), ".")
	if err != nil {
		t.Fatal(err)
	}
	return dir, c
}

func TestLocalesExportMissing(t *testing.T) {
	_, c := tempLocalesDir(t)
	code, out, err := runWillay(t, "locales", "export", "--missing", "--lang", "shp")
	if code != 0 || err != nil {
		t.Fatalf("locales export = %d, %v\n%s", code, err, out)
	}
	msgs, err := i18n.ParseMessageBytes([]byte(out), yaml.Unmarshal)
	if err != nil {
		t.Fatalf("the export does not parse as a go-i18n file: %v\n%s", err, out)
	}
	var got, want []string
	for _, m := range msgs {
		got = append(got, m.ID)
		if m.Hash != catalog.Hash(c.Message("es", m.ID)) {
			t.Errorf("%s: hash %q is not the Spanish hash", m.ID, m.Hash)
		}
	}
	for _, id := range c.IDs() {
		if c.Status("shp", id) == catalog.Draft {
			want = append(want, id)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(want) == 0 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("exported IDs:\n%v\nwant every shp draft:\n%v", got, want)
	}
	// The translator sees each draft's sources beside it.
	note := "# draft note: " + c.Message("shp", "broadcast.status.scheduled").Description + "\n"
	if !strings.Contains(note, "kaditi") || !strings.Contains(out, "# draft: manai\n"+note) {
		t.Errorf("the export lacks the draft and its note:\n%s", note)
	}
}

func TestLocalesExportToFile(t *testing.T) {
	tempLocalesDir(t)
	file := filepath.Join(t.TempDir(), "translate.qu.yaml")
	if code, out, err := runWillay(t, "locales", "export", "--missing", "--lang", "qu", "--out", file); code != 0 || err != nil || out != "" {
		t.Fatalf("locales export --out = %d, %v, %q", code, err, out)
	}
	buf, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(buf), "\"main.title\":\n  hash: sha1-") {
		t.Errorf("export file: %v\n%s", err, buf)
	}
}

func TestLocalesUsage(t *testing.T) {
	tempLocalesDir(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"locales"}, "usage: willay locales export"},
		{[]string{"locales", "merge"}, `unknown locales command "merge"`},
		{[]string{"locales", "export", "--missing"}, "--lang is required"},
		{[]string{"locales", "export", "--lang", "es"}, "Spanish is the source"},
		{[]string{"locales", "import"}, "usage: willay locales import"},
		{[]string{"locales", "import", "texts.yaml"}, "say --lang, or name the file translate.LANG.yaml"},
	}
	for _, tt := range tests {
		code, out, err := runWillay(t, tt.args...)
		if code == 0 || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("willay %s = %d, %v (%q); want an error containing %q", strings.Join(tt.args, " "), code, err, out, tt.want)
		}
	}
}

// TestLocalesImport: a file with any bad text exits non-zero, prints every
// problem and leaves the language file as it was; a good one is written.
func TestLocalesImport(t *testing.T) {
	entry := func(c *catalog.Catalog, id, other string) string {
		return fmt.Sprintf("%q:\n  hash: %s\n  other: %q\n", id, catalog.Hash(c.Message("es", id)), other)
	}
	tests := []struct {
		name  string
		lang  string // --lang, or "" for the file name
		file  string // the file's base name
		texts func(c *catalog.Catalog) string
		out   []string // lines printed
		ok    bool
	}{
		{"outside GSM-7", "", "translate.qu.yaml", func(c *catalog.Catalog) string {
			return entry(c, "nav.more", "98 Qatiqnin") + entry(c, "main.title", "Allillanchu {{.Name}} 你好")
		}, []string{`main.title: characters outside GSM-7 "你好": write them plainly`}, false},
		{"longer than a screen", "", "translate.qu.yaml", func(c *catalog.Catalog) string {
			return entry(c, "busy", strings.Repeat("Willay kunan manam atinchu. ", 7))
		}, []string{"busy: longer than one screen: shorten it"}, false},
		{"stale and renamed", "qu", "returned.yaml", func(c *catalog.Catalog) string {
			return "main.title:\n  hash: sha1-0000\n  other: \"Allillanchu {{.Name}}\"\n" + entry(c, "nav.more", "98 Qatiqnin") +
				strings.Replace(entry(c, "nav.back", "0 Kutiy"), `"nav.back"`, `"nav.bak"`, 1)
		}, []string{
			"main.title: the Spanish text changed since this file was exported; export again and translate the new text",
			"nav.bak: no such text in Spanish: it was removed or renamed; export again",
		}, false},
		{"Shipibo stress accents are dropped", "", "translate.shp.yaml", func(c *catalog.Catalog) string {
			return entry(c, "nav.more", "98 Íchá")
		}, nil, true},
		{"good", "", "translate.qu.yaml", func(c *catalog.Catalog) string {
			return entry(c, "nav.more", "98 Qatiqnin") + entry(c, "main.title", "")
		}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, c := tempLocalesDir(t)
			lang := tt.lang
			if lang == "" {
				lang = strings.Split(tt.file, ".")[1]
			}
			target := filepath.Join(dir, lang+".yaml")
			before, err := os.ReadFile(target)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(file, []byte(tt.texts(c)), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"locales", "import", file}
			if tt.lang != "" {
				args = []string{"locales", "import", "--lang", tt.lang, file}
			}
			code, out, err := runWillay(t, args...)
			after, _ := os.ReadFile(target)

			if !tt.ok {
				if code == 0 || err == nil || !strings.Contains(err.Error(), "nothing was written") {
					t.Errorf("import = %d, %v; want a non-zero exit and nothing written", code, err)
				}
				if got := strings.Split(strings.TrimSpace(out), "\n"); strings.Join(got, "\n") != strings.Join(tt.out, "\n") {
					t.Errorf("printed:\n%s\nwant:\n%s", out, strings.Join(tt.out, "\n"))
				}
				if string(after) != string(before) {
					t.Errorf("%s changed although the import was refused", target)
				}
				return
			}
			if code != 0 || err != nil || !strings.Contains(out, "1 texts written to "+target+" as reviewed") {
				t.Fatalf("import = %d, %v\n%s", code, err, out)
			}
			c2, err := catalog.Load(os.DirFS(dir), ".")
			if err != nil {
				t.Fatal(err)
			}
			if got := c2.Status(lang, "nav.more"); got != catalog.Reviewed {
				t.Errorf("Status(%s, nav.more) = %v after import", lang, got)
			}
			if got := c2.Status(lang, "main.title"); got != catalog.Draft {
				t.Errorf("Status(%s, main.title) = %v: an empty text was taken", lang, got)
			}
		})
	}
}
