package gsm

import (
	"strings"
	"testing"
)

func TestEncodingString(t *testing.T) {
	for enc, want := range map[Encoding]string{GSM7: "GSM-7", UCS2: "UCS-2", 7: "Encoding(7)"} {
		if got := enc.String(); got != want {
			t.Errorf("Encoding(%d).String() = %q, want %q", int(enc), got, want)
		}
	}
}

// TestBasicTablePositions pins code points the standard is easy to misremember at.
func TestBasicTablePositions(t *testing.T) {
	tests := []struct {
		code int
		want rune
	}{
		{0x00, '@'}, {0x01, '£'}, {0x02, '$'}, {0x03, '¥'}, {0x09, 'Ç'},
		{0x0A, '\n'}, {0x0D, '\r'}, {0x10, 'Δ'}, {0x11, '_'}, {0x1A, 'Ξ'},
		{0x1B, esc}, {0x1F, 'É'}, {0x24, '¤'}, {0x40, '¡'}, {0x5B, 'Ä'},
		{0x5F, '§'}, {0x60, '¿'}, {0x7D, 'ñ'}, {0x7E, 'ü'}, {0x7F, 'à'},
	}
	for _, tt := range tests {
		if got := basicTable[tt.code]; got != tt.want {
			t.Errorf("basicTable[0x%02X] = %q, want %q", tt.code, got, tt.want)
		}
	}
	if len(basicSet) != 127 {
		t.Errorf("basic table has %d characters, want 127 (128 codes minus ESC)", len(basicSet))
	}
}

func TestIsGSM7(t *testing.T) {
	in := "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà^{}\\[~]|€\f"
	for _, r := range in {
		if !IsGSM7(r) {
			t.Errorf("IsGSM7(%q) = false, want true", r)
		}
	}
	out := "áíóúÁÍÓÚ`‘’“”–…çâêõ\t\x1b\u00a0😀中"
	for _, r := range out {
		if IsGSM7(r) {
			t.Errorf("IsGSM7(%q) = true, want false", r)
		}
	}
}

func TestIsExtension(t *testing.T) {
	for _, r := range "^{}\\[~]|€\f" {
		if !IsExtension(r) {
			t.Errorf("IsExtension(%q) = false, want true", r)
		}
	}
	for _, r := range "a@é\n$" {
		if IsExtension(r) {
			t.Errorf("IsExtension(%q) = true, want false", r)
		}
	}
}

func TestNonGSM7(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", ""},
		{"Hola, ¿cómo está?", "óá"},
		{"día día DÍA 😀", "íÍ😀"},
		{"p’unchaw “allin”", "’“”"},
		{"ñandú € {}", "ú"},
	}
	for _, tt := range tests {
		if got := string(NonGSM7(tt.in)); got != tt.want {
			t.Errorf("NonGSM7(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeTypography(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"left single quote", "‘a", "'a"},
		{"right single quote", "a’", "a'"},
		{"low single quote", "‚a", "'a"},
		{"reversed single quote", "‛a", "'a"},
		{"prime", "5′", "5'"},
		{"left double quote", "“a", `"a`},
		{"right double quote", "a”", `a"`},
		{"low double quote", "„a", `"a`},
		{"double prime", "5″", `5"`},
		{"guillemets", "«a»", `"a"`},
		{"en dash", "1–2", "1-2"},
		{"em dash", "a—b", "a-b"},
		{"figure dash", "1‒2", "1-2"},
		{"horizontal bar", "―a", "-a"},
		{"minus sign", "−5", "-5"},
		{"ellipsis", "y…", "y..."},
		{"no-break space", "S/\u00a010", "S/ 10"},
		{"narrow no-break space", "10\u202f000", "10 000"},
		{"em space", "a\u2003b", "a b"},
		{"ideographic space", "a\u3000b", "a b"},
		{"tab", "a\tb", "a b"},
		{"zero-width space", "a\u200bb", "ab"},
		{"zero-width joiner and non-joiner", "a\u200c\u200db", "ab"},
		{"word joiner", "a\u2060b", "ab"},
		{"byte order mark", "\ufeffHola", "Hola"},
		{"soft hyphen", "ali\u00admento", "alimento"},
		{"crlf", "a\r\nb", "a\nb"},
		{"lone cr", "a\rb", "a\nb"},
		{"cr cr lf", "a\r\r\nb", "a\n\nb"},
		{"crlf split by zero-width", "a\r\u200b\nb", "a\nb"},
		{"line separator", "a\u2028b", "a\nb"},
		{"decomposed é composes", "cafe\u0301", "café"},
		{"backtick", "p`unchaw", "p'unchaw"},
		{"acute accent as apostrophe", "p´unchaw", "p'unchaw"},
		// NFC turns U+1FEF into a backtick; it must still become ' in one pass.
		{"greek varia composes to backtick", "p\u1fefunchaw", "p'unchaw"},
		{"en quad composes to en space", "a\u2000b", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in, Options{}); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeFolding(t *testing.T) {
	fold := Options{FoldAccents: true}
	shipibo := Options{StripStress: true}
	tests := []struct {
		name, in string
		o        Options
		want     string
	}{
		{"no options keep accents", "Días de pago: sábado", Options{}, "Días de pago: sábado"},
		{"spanish", "Días de pago: sábado", fold, "Dias de pago: sabado"},
		{"spanish upper", "ÁÍÓÚ", fold, "AIOU"},
		{"gsm letters survive", "él, niño, pingüino, ¿qué? ¡sí!", fold, "él, niño, pingüino, ¿qué? ¡si!"},
		{"other gsm letters survive", "èàùìò ÑÜÄÖÉÅåÇØøÆæß", fold, "èàùìò ÑÜÄÖÉÅåÇØøÆæß"},
		{"circumflex tilde cedilla", "âêôõç", fold, "aeooc"},
		{"decomposed á folds", "sa\u0301bado", fold, "sabado"},
		{"stray mark on gsm letter dropped", "q\u0301", fold, "q"},
		{"unfoldable kept", "中文 😀 ŧ", fold, "中文 😀 ŧ"},
		{"mark on non-gsm letter kept", "क\u093f", fold, "क\u093f"},
		{"quechua ascii apostrophe", "p'unchaw", fold, "p'unchaw"},
		{"quechua typographic apostrophe", "p’unchaw", fold, "p'unchaw"},
		{"quechua modifier apostrophe", "pʼunchaw", Options{}, "p'unchaw"},
		{"shipibo Jáwe", "Jáwe", shipibo, "Jawe"},
		{"shipibo kopí", "kopí", shipibo, "kopi"},
		{"shipibo é", "é", shipibo, "e"},
		{"shipibo gsm stressed vowels", "é è à ù ì ò É", shipibo, "e e a u i o E"},
		{"shipibo keeps ñ ü", "Ñuñu Üü", shipibo, "Ñuñu Üü"},
		{"fold alone keeps é", "é", fold, "é"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in, tt.o); got != tt.want {
				t.Errorf("Normalize(%q, %+v) = %q, want %q", tt.in, tt.o, got, tt.want)
			}
		})
	}
}

func TestMeasure(t *testing.T) {
	tests := []struct {
		name, in string
		enc      Encoding
		n        int
	}{
		{"empty", "", GSM7, 0},
		{"ascii", "Hola", GSM7, 4},
		{"gsm accents", "él niño", GSM7, 7},
		{"euro counts 2", "S/ 10 o 3€", GSM7, 11},
		{"all extension chars", "^{}\\[~]|€\f", GSM7, 20},
		{"á forces ucs2", "sábado", UCS2, 6},
		{"extension in ucs2 counts 1", "á€", UCS2, 2},
		{"emoji is a surrogate pair", "😀", UCS2, 2},
		{"emoji with text", "ok 😀", UCS2, 5},
		{"chinese", "中文", UCS2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, n := Measure(tt.in)
			if enc != tt.enc || n != tt.n {
				t.Errorf("Measure(%q) = %v, %d; want %v, %d", tt.in, enc, n, tt.enc, tt.n)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	a, u := strings.Repeat, "ú"
	tests := []struct {
		name string
		l    Limits
		in   string
		want bool
	}{
		{"gsm 182 fits", DefaultLimits(), a("a", 182), true},
		{"gsm 183 does not", DefaultLimits(), a("a", 183), false},
		{"euro at 181 overflows", DefaultLimits(), a("a", 181) + "€", false},
		{"euro at 180 fits", DefaultLimits(), a("a", 180) + "€", true},
		{"ucs2 80 fits", DefaultLimits(), a(u, 80), true},
		{"ucs2 81 does not", DefaultLimits(), a(u, 81), false},
		{"emoji at 79 overflows", DefaultLimits(), a(u, 79) + "😀", false},
		{"zero limits are defaults", Limits{}, a("a", 182), true},
		{"custom gsm", Limits{GSM7: 10}, a("a", 11), false},
		{"custom ucs2", Limits{UCS2: 10}, a(u, 10), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.l.Fits(tt.in); got != tt.want {
				t.Errorf("%+v.Fits(len %d) = %v, want %v", tt.l, len([]rune(tt.in)), got, tt.want)
			}
		})
	}
	d := DefaultLimits()
	if d.Max(GSM7) != 182 || d.Max(UCS2) != 80 {
		t.Errorf("DefaultLimits Max = %d/%d, want 182/80", d.Max(GSM7), d.Max(UCS2))
	}
}

func TestSegments(t *testing.T) {
	a, u, e := strings.Repeat, "ú", "😀"
	tests := []struct {
		name string
		in   string
		enc  Encoding
		n    int
	}{
		{"empty", "", GSM7, 1},
		{"gsm 160", a("a", 160), GSM7, 1},
		{"gsm 161", a("a", 161), GSM7, 2},
		{"gsm 306", a("a", 306), GSM7, 2},
		{"gsm 307", a("a", 307), GSM7, 3},
		{"euro fills 160", a("a", 158) + "€", GSM7, 1},
		{"euro makes 161", a("a", 159) + "€", GSM7, 2},
		// 306 septets would be 2 parts, but the € cannot straddle 152|153.
		{"extension not split", a("a", 152) + "€" + a("a", 152), GSM7, 3},
		{"extension at exact boundary", a("a", 151) + "€" + a("a", 153), GSM7, 2},
		{"ucs2 70", a(u, 70), UCS2, 1},
		{"ucs2 71", a(u, 71), UCS2, 2},
		{"ucs2 134", a(u, 134), UCS2, 2},
		{"ucs2 135", a(u, 135), UCS2, 3},
		{"emoji pair counts 2", a(u, 69) + e, UCS2, 2},
		// 134 units would be 2 parts, but the pair cannot straddle 66|67.
		{"surrogate pair not split", a(u, 66) + e + a(u, 66), UCS2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, n := Segments(tt.in)
			if enc != tt.enc || n != tt.n {
				t.Errorf("Segments = %v, %d; want %v, %d", enc, n, tt.enc, tt.n)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "Días de pago: sábado", "p’unchaw", "Jáwe kopí é", "a\r\u200b\nb",
		"q\u0301", "क\u093f", "\u0301x", "ḕ\u0301", "«…»—\u00a0", "\xff\xfe", "😀€", "\u1fef\u1ffd",
	} {
		f.Add(s, false, false)
		f.Add(s, true, false)
		f.Add(s, false, true)
	}
	f.Fuzz(func(t *testing.T, s string, foldAccents, stripStress bool) {
		o := Options{FoldAccents: foldAccents, StripStress: stripStress}
		once := Normalize(s, o)
		if twice := Normalize(once, o); twice != once {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, once, twice)
		}
		if (foldAccents || stripStress) && strings.ContainsAny(once, "áíóúÁÍÓÚ") {
			t.Fatalf("Normalize(%q, %+v) = %q still has á í ó ú", s, o, once)
		}
	})
}
