package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/willay-pe/willay/internal/gsm"
)

// navigation lines as pages() builds them: the main menu has no back line.
var testNavs = []struct {
	name string
	nav  func(more bool) string
}{
	{"home", func(more bool) string {
		if more {
			return "98 Mas"
		}
		return ""
	}},
	{"inner", func(more bool) string {
		if more {
			return "98 Mas  0 Atras  00 Menu"
		}
		return "0 Atras  00 Menu"
	}},
	{"quechua", func(more bool) string {
		if more {
			return "98 Astawan  0 Kutiy  00 Menu"
		}
		return "0 Kutiy  00 Menu"
	}},
}

// checkPages checks what paginate made of body: every page fits one
// screen and ends with the right navigation line, and the pages' body
// lines are the input lines in order, nothing lost or added, a line cut
// only when it cannot fit a screen on its own, and then between words
// unless one word is longer than a screen.
func checkPages(t *testing.T, s Screens, body []string, nav func(bool) string, pages []string) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\nbody %q\npages %q", fmt.Sprintf(format, args...), body, pages)
	}
	if len(pages) == 0 {
		fail("no page")
	}
	var out []string
	for i, p := range pages {
		if !s.Limits.Fits(p) {
			enc, n := gsm.Measure(p)
			fail("page %d is %d %s units, over %d", i, n, enc, s.Limits.Max(enc))
		}
		n := nav(i < len(pages)-1)
		lines := p
		if n != "" {
			var ok bool
			if lines, ok = strings.CutSuffix(p, n); !ok {
				fail("page %d does not end with %q", i, n)
			}
			if lines != "" {
				if lines, ok = strings.CutSuffix(lines, "\n"); !ok {
					fail("page %d: no line break before the navigation", i)
				}
			}
		}
		if len(body) > 0 && strings.TrimSpace(lines) == "" && strings.TrimSpace(strings.Join(body, "")) != "" {
			fail("page %d shows nothing but navigation", i)
		}
		if lines != "" || (n == "" && len(body) > 0) {
			out = append(out, strings.Split(lines, "\n")...)
		}
	}
	k := 0
	for _, line := range body {
		if k < len(out) && out[k] == line {
			k++
			continue
		}
		if s.Limits.Fits(join([]string{line}, nav(true))) {
			fail("line %q fits a screen but was cut", line)
		}
		// A cut line: its pieces, in order, hold its words in order.
		var pieces []string
		for k < len(out) && squash(strings.Join(pieces, "")) != squash(line) {
			if out[k] == "" {
				fail("an empty piece of line %q", line)
			}
			pieces = append(pieces, out[k])
			k++
		}
		if squash(strings.Join(pieces, "")) != squash(line) {
			fail("line %q became %q", line, pieces)
		}
		if longestWord(line) < 40 && strings.Join(strings.Fields(strings.Join(pieces, " ")), " ") != strings.Join(strings.Fields(line), " ") {
			fail("line %q was cut inside a word: %q", line, pieces)
		}
	}
	if k != len(out) {
		fail("lines added: %q", out[k:])
	}
}

// squash is s without white space: what a reader must still find.
func squash(s string) string { return strings.Join(strings.Fields(s), "") }

func longestWord(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		n = max(n, utf8.RuneCountInString(w))
	}
	return n
}

// words to build lines from: plain, GSM-7 letters, the extension table's
// € (2 septets), and characters that force UCS-2 (中, and 😀, 2 units).
var wordPool = []string{"a", "de", "Su", "casa", "Visita:", "28/11", "09:00", "Capacitacion", "Reunion", "comunal",
	"S/", "1,250.00", "ñaña", "Huñunakuy", "p'unchaw", "café", "¿Qué?", "€", "20€", "{x}", "中", "中文", "😀",
	"Biohuerto", "familiar.", "Local", "Santa", "Rosa", "Yachachiqniywan", "rimay"}

func randomLine(r *rand.Rand, words int, ucs2 bool) string {
	ws := make([]string, words)
	for i := range ws {
		for {
			ws[i] = wordPool[r.IntN(len(wordPool))]
			if ucs2 || gsm.NonGSM7(ws[i]) == nil {
				break
			}
		}
	}
	return strings.Join(ws, " ")
}

func randomBody(r *rand.Rand) []string {
	ucs2 := r.IntN(4) == 0
	body := make([]string, r.IntN(12))
	for i := range body {
		switch r.IntN(10) {
		case 0:
			body[i] = randomLine(r, 30+r.IntN(100), ucs2) // longer than a screen
		case 1:
			body[i] = strings.Repeat([]string{"a", "b", "€", "中"}[r.IntN(4)], 100+r.IntN(500)) // one long word
		default:
			body[i] = randomLine(r, 1+r.IntN(12), ucs2)
		}
	}
	return body
}

func TestPaginateProperties(t *testing.T) {
	s := testScreens()
	fixed := map[string][]string{
		"empty":                  nil,
		"one short line":         {"Hola"},
		"one line of 600":        {strings.Repeat("abcdefghi ", 60)},
		"one word of 600":        {strings.Repeat("x", 600)},
		"600 €":                  {strings.Repeat("€", 600)},
		"€ words":                {strings.Repeat("20€ al mes, ", 40)},
		"a Chinese char in 600":  {strings.Repeat("palabra ", 40) + "中" + strings.Repeat(" palabra", 35)},
		"300 Chinese chars":      {strings.Repeat("中", 300)},
		"emoji":                  {strings.Repeat("😀 ", 100)},
		"a UCS-2 line among GSM": {"Proximas visitas:", "28/11 Visita 中", strings.Repeat("larga linea ", 30), "fin"},
		"30 options": func() []string {
			var b []string
			for i := range 30 {
				b = append(b, fmt.Sprintf("%d Opcion numero %d", i+1, i+1))
			}
			return b
		}(),
		"exactly a screen":       {strings.Repeat("x", 182)},
		"a screen minus the nav": {strings.Repeat("x", 182-len("\n0 Atras  00 Menu"))},
		"empty lines":            {"", "a", "", strings.Repeat("y ", 120), ""},
		"accents GSM-7 has":      {strings.Repeat("é è à ù ì ò ñ Ñ ü Ü ¿ ¡ ", 20)},
	}
	for name, body := range fixed {
		for _, n := range testNavs {
			t.Run(name+"/"+n.name, func(t *testing.T) {
				checkPages(t, s, body, n.nav, s.paginate(body, n.nav))
			})
		}
	}
	r := rand.New(rand.NewPCG(2026, 11))
	for i := range 3000 {
		body := randomBody(r)
		n := testNavs[i%len(testNavs)]
		checkPages(t, s, body, n.nav, s.paginate(body, n.nav))
	}
}

func TestPaginateDoesNotChangeInput(t *testing.T) {
	s := testScreens()
	body := []string{strings.Repeat("uno dos tres ", 30), "cuatro"}
	keep := append([]string(nil), body...)
	s.paginate(body, testNavs[1].nav)
	for i := range body {
		if body[i] != keep[i] {
			t.Fatalf("paginate changed its input: %q", body)
		}
	}
}

// TestPaginateTrailingSpaces: a line longer than a screen that ends in
// spaces must not leave a page with nothing on it.
func TestPaginateTrailingSpaces(t *testing.T) {
	s := testScreens()
	for _, n := range testNavs {
		t.Run(n.name, func(t *testing.T) {
			body := []string{strings.Repeat("a", 170) + strings.Repeat(" ", 30)}
			checkPages(t, s, body, n.nav, s.paginate(body, n.nav))
		})
	}
}
