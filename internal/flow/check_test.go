package flow_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/willay-pe/willay/internal/catalog"
	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/flow"
	"github.com/willay-pe/willay/internal/gsm"
)

// shippedFiles reads flows/*.yaml and locales/*.yaml as engine.LoadFiles
// names them.
func shippedFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, dir := range []string{"flows", "locales"} {
		names, err := filepath.Glob(filepath.Join("../..", dir, "*.yaml"))
		if err != nil || len(names) == 0 {
			t.Fatalf("glob ../../%s: %v (%d files)", dir, err, len(names))
		}
		for _, n := range names {
			buf, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			files[dir+"/"+filepath.Base(n)] = buf
		}
	}
	return files
}

// check runs engine.Check with the default screen (182 GSM-7 characters)
// and splits what it reports into errors and warnings.
func check(t *testing.T, files map[string][]byte) (errs, warns []string) {
	t.Helper()
	b, err := engine.LoadFiles(files)
	if err != nil {
		t.Fatalf("LoadFiles: %v", err)
	}
	screens := engine.Screens{Limits: gsm.DefaultLimits(), FoldAccents: true}
	for _, p := range engine.Check(b, engine.Actions(), screens) {
		if p.Severity == flow.Error {
			errs = append(errs, p.String())
		} else {
			warns = append(warns, p.String())
		}
	}
	return errs, warns
}

func draftWarnings(t *testing.T) []string {
	c := shippedCatalog(t)
	var out []string
	for _, lang := range []string{"qu", "quy", "shp"} {
		n := 0
		for _, id := range c.IDs() {
			if st := c.Status(lang, id); st == catalog.Draft || st == catalog.Stale {
				n++
			}
		}
		out = append(out, fmt.Sprintf("warning: locales/%s.yaml [%s]: %d texts are unreviewed drafts or changed since review: willay locales export --missing --lang %s", lang, lang, n, lang))
	}
	return out
}

func TestCheckShipped(t *testing.T) {
	errs, warns := check(t, shippedFiles(t))
	if len(errs) > 0 {
		t.Errorf("the shipped flows and texts have errors:\n%s", strings.Join(errs, "\n"))
	}
	if want := draftWarnings(t); !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warns, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckQuechuaText changes one Quechua text of a copy of the shipped
// files and checks what engine.Check says of it.
func TestCheckQuechuaText(t *testing.T) {
	const title = `"Allillanchu {{.Name}}. Willay:"`
	const payments = `"Qullqi chaskina p'unchaw"`
	filler := strings.TrimSpace(strings.Repeat("Willay qullqi ", 12))
	long := `"Allillanchu {{.Name}}. ` + filler + `"`
	shown := "Allillanchu Maximiliana. " + filler // the sample participant
	tests := []struct {
		name     string
		old, new string
		errs     []string
	}{
		{"curly apostrophe normalizes", payments, `"Qullqi chaskina p’unchaw"`, nil},
		{"curly quotes and dash normalize", title, `"Allillanchu “{{.Name}}” – Willay:"`, nil},
		{"Chinese character", title, `"Allillanchu {{.Name}}. 你 Willay:"`, []string{
			`locales/qu.yaml: message main.title [qu]: characters outside GSM-7 "你" force UCS-2 (80-character screens): write them plainly`,
		}},
		{"accent GSM-7 lacks folds", title, `"Allillanchu {{.Name}}. Willáy:"`, nil},
		{"wrong variable", title, `"Allillanchu {{.Nombre}}. Willay:"`, []string{
			`locales/qu.yaml: message main.title [qu]: variables {Nombre} differ from Spanish {Name}`,
		}},
		{"missing variable", `"Qullqiyki: {{.Balance}}, {{.AsOf}} p'unchawkama."`, `"Qullqiyki: {{.Balance}}."`, []string{
			`locales/qu.yaml: message savings.balance [qu]: variables {Balance} differ from Spanish {AsOf, Balance}`,
		}},
		{"longer than a screen", title, long, []string{
			// Too long only once the name is in: reported on the screen, in
			// Quechua and in the Chanka variety that qu.yaml serves too.
			fmt.Sprintf(`flows/participant.yaml: node main [qu]: a text is %d characters in GSM-7, over one screen (182): %q`, len(shown), shown),
			fmt.Sprintf(`flows/participant.yaml: node main [quy]: a text is %d characters in GSM-7, over one screen (182): %q`, len(shown), shown),
		}},
		{"longer than a screen on its own", title, `"{{.Name}} ` + filler + filler + `"`, []string{
			`locales/qu.yaml: message main.title [qu]: 335 characters in GSM-7 without its variables, longer than a whole screen (182): shorten it`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := shippedFiles(t)
			qu := string(files["locales/qu.yaml"])
			if strings.Count(qu, tt.old) != 1 {
				t.Fatalf("locales/qu.yaml holds %s %d times, want once", tt.old, strings.Count(qu, tt.old))
			}
			files["locales/qu.yaml"] = []byte(strings.Replace(qu, tt.old, tt.new, 1))
			errs, _ := check(t, files)
			if !reflect.DeepEqual(errs, tt.errs) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(tt.errs, "\n"))
			}
		})
	}
}

// TestCheckBrokenTemplate: a template go-i18n cannot parse is refused when
// the texts load, naming the file and message, even for a text that no
// flow screen shows (nav.back, busy).
func TestCheckBrokenTemplate(t *testing.T) {
	for _, tt := range []struct{ old, new, want string }{
		{`"0 Kutiy"`, `"0 {{.Kutiy"`, "locales/qu.yaml: message nav.back: "},
		{`"Willay kunan manam atinchu. Huk ratumanta waqyamuy."`, `"Willay {{if}}"`, "locales/qu.yaml: message busy: "},
	} {
		files := shippedFiles(t)
		files["locales/qu.yaml"] = []byte(strings.Replace(string(files["locales/qu.yaml"]), tt.old, tt.new, 1))
		_, err := engine.LoadFiles(files)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadFiles with %s = %v, want an error containing %q", tt.new, err, tt.want)
		}
	}
}

// TestCheckSMSSegments: an SMS text may be longer than a screen, but past
// two segments in any language flows check warns.
func TestCheckSMSSegments(t *testing.T) {
	files := shippedFiles(t)
	qu := string(files["locales/qu.yaml"])
	old := `  other: "Willay: kay yupaymanta achka willakuykunata chaskiyku. Pisi minututa suyay."`
	if !strings.Contains(qu, old) {
		t.Fatal("locales/qu.yaml: sms.loop not found")
	}
	long := strings.Repeat("Willay qullqi waqaychay. ", 14) // 350 characters: 3 segments
	files["locales/qu.yaml"] = []byte(strings.Replace(qu, old, `  other: "`+long+`"`, 1))
	errs, warns := check(t, files)
	if len(errs) != 0 {
		t.Errorf("a long SMS text is no error: %v", errs)
	}
	want := "warning: locales/qu.yaml: message sms.loop [qu]: an SMS of 3 segments in GSM-7: more than 2 costs more and may arrive in pieces"
	if !slices.Contains(warns, want) {
		t.Errorf("warnings lack %q:\n%s", want, strings.Join(warns, "\n"))
	}
}

// TestCheckPluralForms: a Spanish text that counts ({{.Count}}) without its
// "one" form would fail for exactly one; flows check says so first.
func TestCheckPluralForms(t *testing.T) {
	files := shippedFiles(t)
	es := string(files["locales/es.yaml"])
	old := `  other: "{{.N}} {{.Group}} ({{.Size}})"`
	if strings.Count(es, old) != 1 {
		t.Fatal("locales/es.yaml: broadcast.group.item not found")
	}
	files["locales/es.yaml"] = []byte(strings.Replace(es, old, `  other: "{{.N}} {{.Group}} ({{.Count}})"`, 1))
	for _, lang := range []string{"qu", "shp"} {
		files["locales/"+lang+".yaml"] = []byte(strings.Replace(string(files["locales/"+lang+".yaml"]), "({{.Size}})", "({{.Count}})", 1))
	}
	errs, _ := check(t, files)
	want := `locales/es.yaml: message broadcast.group.item [es]: with Count 1: locales/es.yaml: message broadcast.group.item: message "broadcast.group.item" has no plural form "one": give the plural forms the language needs (one, other)`
	if !slices.Equal(errs, []string{want}) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), want)
	}
}

// TestCheckAlphabet: flows check warns of a Shipibo word outside the
// official alphabet and of a Quechua e or o, unless the word is a name or
// loanword of locales/loanwords.yaml; variables, digits and punctuation
// never warn.
func TestCheckAlphabet(t *testing.T) {
	const shp = "locales/shp.yaml: message broadcast.status.scheduled [shp]: letters outside the Shipibo-Konibo alphabet (RM 303-2015-MINEDU): "
	const qu = "locales/qu.yaml: message broadcast.sent [qu]: letters outside the MINEDU Quechua spelling (vowels a i u): "
	const fix = ": spell it in that alphabet, or list a name or loanword in locales/loanwords.yaml"
	tests := []struct {
		name, file, old, new string
		loans                string // replaces locales/loanwords.yaml when set
		want                 []string
	}{
		{"letter d in Shipibo", "locales/shp.yaml", `  other: "manai"`, `  other: "kaditi"`, "",
			[]string{"warning: " + shp + "kaditi (d)" + fix}},
		{"accents and h in Shipibo", "locales/shp.yaml", `  other: "manai"`, `  other: "Hora máni"`, "",
			[]string{"warning: " + shp + "Hora (h), máni (á)" + fix}},
		{"a listed loan with a suffix", "locales/shp.yaml", `  other: "manai"`, `  other: "grupoin 2811 (0000-2359)."`, "", nil},
		{"Spanish in Quechua", "locales/qu.yaml", `"Allinmi: {{.At}} urapi`, `"Listo: {{.At}} horapi`, "",
			[]string{"warning: " + qu + "Listo (o), horapi (o)" + fix}},
		{"a loan no longer listed", "locales/qu.yaml", "", "", "all: [SMS]\n",
			[]string{"warning: " + qu + "menu (e)" + fix}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := shippedFiles(t)
			if tt.old != "" {
				text := string(files[tt.file])
				if strings.Count(text, tt.old) != 1 {
					t.Fatalf("%s holds %s %d times, want once", tt.file, tt.old, strings.Count(text, tt.old))
				}
				files[tt.file] = []byte(strings.Replace(text, tt.old, tt.new, 1))
			}
			if tt.loans != "" {
				files["locales/loanwords.yaml"] = []byte(tt.loans)
			}
			_, warns := check(t, files)
			var got []string
			for _, w := range warns {
				if strings.Contains(w, "letters outside") && (tt.loans == "" || strings.Contains(w, "broadcast.sent [qu]")) {
					got = append(got, w)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("alphabet warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
