// Package gsm owns the GSM 03.38 alphabet: normalizing text for basic
// phones, measuring it, and counting SMS segments.
//
// Basic phones render GSM-7 text reliably; a single character outside it
// switches the whole message to UCS-2, which more than halves what fits on a
// USSD screen or in an SMS. Everything here exists to keep Willay's Spanish,
// Quechua and Shipibo-Konibo texts in GSM-7 whenever the language allows it.
package gsm

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Encoding is the character set a message travels in.
type Encoding int

const (
	// GSM7 is the GSM 03.38 default alphabet, 7 bits per character.
	GSM7 Encoding = iota
	// UCS2 is 16 bits per code unit; phones fall back to it for any text
	// GSM-7 cannot carry.
	UCS2
)

// String returns the name operators and gateway logs use.
func (e Encoding) String() string {
	switch e {
	case GSM7:
		return "GSM-7"
	case UCS2:
		return "UCS-2"
	}
	return "Encoding(" + strconv.Itoa(int(e)) + ")"
}

// esc marks position 0x1B of the basic table: it is the escape to the
// extension table, not a character of its own.
const esc = -1

// basicTable is the GSM 03.38 default alphabet in code order (0x00–0x7F),
// kept positional so it can be checked against the standard entry by entry.
var basicTable = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', esc, 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// extensionTable holds the characters reached through ESC; each costs two
// septets on the air.
const extensionTable = "\f^{}\\[~]|€"

var basicSet = func() map[rune]bool {
	m := make(map[rune]bool, len(basicTable))
	for _, r := range basicTable {
		if r != esc {
			m[r] = true
		}
	}
	return m
}()

// asciiGSM7 answers IsGSM7 for ASCII without a map look-up: every screen
// is measured several times while it is paginated.
var asciiGSM7 = func() (t [128]bool) {
	for r := range rune(128) {
		t[r] = basicSet[r] || strings.ContainsRune(extensionTable, r)
	}
	return t
}()

// IsGSM7 reports whether r is in the GSM-7 basic or extension table.
func IsGSM7(r rune) bool {
	if r < 128 {
		return asciiGSM7[r]
	}
	return basicSet[r] || IsExtension(r)
}

// IsExtension reports whether r is in the GSM-7 extension table.
func IsExtension(r rune) bool {
	return strings.ContainsRune(extensionTable, r)
}

// NonGSM7 returns the distinct runes of s outside GSM-7, in order of first
// appearance, so an editor can be told exactly which characters force UCS-2.
func NonGSM7(s string) []rune {
	var out []rune
	seen := map[rune]bool{}
	for _, r := range s {
		if !IsGSM7(r) && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// cost is the size of r in units of e: septets for GSM-7, UTF-16 code units
// for UCS-2.
func (e Encoding) cost(r rune) int {
	if e == GSM7 {
		if IsExtension(r) {
			return 2
		}
		return 1
	}
	if r > 0xFFFF {
		return 2 // surrogate pair
	}
	return 1
}

// Measure tells the encoding the whole text needs and its length in that
// encoding's units: GSM-7 septets (extension characters count 2) or UCS-2
// code units (UTF-16: a rune outside the BMP counts 2).
func Measure(s string) (Encoding, int) {
	enc := GSM7
	for _, r := range s {
		if !IsGSM7(r) {
			enc = UCS2
			break
		}
	}
	n := 0
	for _, r := range s {
		n += enc.cost(r)
	}
	return enc, n
}

// Limits of one USSD screen, in the units Measure returns. A zero field
// means the default, so a zero Limits is usable rather than fitting nothing.
type Limits struct {
	GSM7, UCS2 int
}

// DefaultLimits are the USSD screen sizes Peruvian operators deliver on
// basic phones.
func DefaultLimits() Limits {
	return Limits{GSM7: 182, UCS2: 80}
}

// Max is the screen size for enc. Anything that is not GSM-7 gets the UCS-2
// size, the smaller and therefore safe one.
func (l Limits) Max(enc Encoding) int {
	d := DefaultLimits()
	if enc == GSM7 {
		return orDefault(l.GSM7, d.GSM7)
	}
	return orDefault(l.UCS2, d.UCS2)
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// Fits reports whether s fits on one screen.
func (l Limits) Fits(s string) bool {
	enc, n := Measure(s)
	return n <= l.Max(enc)
}

// Segment sizes: a concatenated SMS loses room to its UDH header.
const (
	gsm7Single, gsm7Part = 160, 153
	ucs2Single, ucs2Part = 70, 67
)

// Segments is the number of SMS parts s is sent in: GSM-7 160 single / 153
// per part; UCS-2 70 single / 67 per part. Empty text is 1 segment.
func Segments(s string) (Encoding, int) {
	enc, n := Measure(s)
	single, part := gsm7Single, gsm7Part
	if enc == UCS2 {
		single, part = ucs2Single, ucs2Part
	}
	if n <= single {
		return enc, 1
	}
	return enc, pack(s, enc, part)
}

// pack fills parts rune by rune instead of dividing the total, because an
// escape sequence or a surrogate pair cannot be split between parts: when it
// does not fit, the part ends early and it starts the next one.
func pack(s string, enc Encoding, part int) int {
	parts, used := 1, 0
	for _, r := range s {
		c := enc.cost(r)
		if used+c > part {
			parts++
			used = 0
		}
		used += c
	}
	return parts
}

// Options choose how far Normalize folds letters.
type Options struct {
	// FoldAccents folds letters GSM-7 lacks (á í ó ú â ê õ ç …) to their base
	// letter, keeping those GSM-7 has (é è à ù ì ò ñ Ñ ü Ü ä Ä ö Ö É Å å Ç Ø
	// ø Æ æ ß ¿ ¡).
	FoldAccents bool
	// StripStress is for Shipibo-Konibo, whose stress accents are not
	// written: it folds like FoldAccents and also folds the stressed vowels
	// GSM-7 has (é è à ù ì ò É), keeping ñ Ñ ü Ü. It implies FoldAccents.
	StripStress bool
}

// Normalize makes s safe for basic phones. It always replaces typographic
// punctuation (curly quotes, dashes, ellipsis, unusual spaces) with ASCII,
// removes zero-width characters and the soft hyphen, turns \r\n and \r into
// \n, and composes the text (NFC) so a decomposed "é" is the GSM-7 "é".
// Then it folds letters per o. A letter that is not in GSM-7 and cannot be
// folded is kept as is; it will force UCS-2. Normalize is idempotent.
func Normalize(s string, o Options) string {
	if plain(s) {
		return s
	}
	// Invisible characters go first so that what they separated can be
	// composed or matched, e.g. "\r\u200b\n" is one line break. NFC comes
	// before typography because it can produce characters typography
	// replaces (U+1FEF GREEK VARIA composes to a backtick).
	s = strings.Map(dropInvisible, s)
	s = norm.NFC.String(s)
	s = typography.Replace(s)
	if !o.FoldAccents && !o.StripStress {
		return s
	}
	return fold(s, o)
}

// plain tells whether s is printable ASCII (and newlines) that GSM-7 has
// as is: then Normalize has nothing to do. Most texts are.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < ' ' && c != '\n') || c > '~' || c == '`' {
			return false
		}
	}
	return true
}

// dropInvisible removes characters that print nothing but would still force
// UCS-2. Text pasted from documents and chat apps is full of them.
func dropInvisible(r rune) rune {
	switch r {
	case '\u00AD', // soft hyphen
		'\u200B', '\u200C', '\u200D', // zero-width space, non-joiner, joiner
		'\u200E', '\u200F', // left-to-right and right-to-left marks
		'\u2060', '\uFEFF': // word joiner, byte order mark
		return -1
	}
	return r
}

// typography maps punctuation word processors and phones insert to the
// ASCII GSM-7 carries. "\r\n" precedes "\r" so a CRLF becomes one newline.
var typography = strings.NewReplacer(typographyPairs()...)

func typographyPairs() []string {
	groups := []struct {
		to   string
		from string
	}{
		// ´ ʼ and ` are how Quechua ejectives (p'unchaw) often get typed.
		{"'", "‘’‚‛′´ʼ`"},
		{`"`, "“”„″«»"},
		{"-", "‐‑‒–—―−"},
		{"...", "…"},
		// Every Unicode space separator except the plain space itself,
		// and the tab, which GSM-7 lacks.
		{" ", "\t\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u202F\u205F\u3000"},
		{"\n", "\u0085\u2028\u2029"},
	}
	pairs := []string{"\r\n", "\n", "\r", "\n"}
	for _, g := range groups {
		for _, r := range g.from {
			pairs = append(pairs, string(r), g.to)
		}
	}
	return pairs
}

// stressed are the GSM-7 vowels whose accent only marks stress in
// Shipibo-Konibo orthography.
var stressed = map[rune]rune{
	'é': 'e', 'è': 'e', 'à': 'a', 'ù': 'u', 'ì': 'i', 'ò': 'o', 'É': 'E',
}

// fold applies o to NFC text. A combining mark left over after a GSM-7
// letter (one NFC could not compose, like q + ́) is an accent GSM-7 cannot
// show and is dropped; after any other letter it belongs to a script that
// needs UCS-2 anyway and is kept, so Thai or Devanagari text is not mangled.
func fold(s string, o Options) string {
	var b strings.Builder
	b.Grow(len(s))
	afterGSM := true // a mark with nothing before it has nothing to accent
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			if !afterGSM {
				b.WriteRune(r)
			}
			continue
		}
		f, ok := foldRune(r, o)
		b.WriteString(f)
		afterGSM = ok
	}
	return b.String()
}

// foldRune returns r folded per o and whether the result is GSM-7.
func foldRune(r rune, o Options) (string, bool) {
	if base, ok := stressed[r]; ok && o.StripStress {
		return string(base), true
	}
	if IsGSM7(r) {
		return string(r), true
	}
	if base, ok := stripMarks(r); ok {
		return base, true
	}
	return string(r), false
}

// stripMarks decomposes r and drops its combining marks; ok is false when
// what remains is not GSM-7, because then folding would lose information
// without saving UCS-2.
func stripMarks(r rune) (string, bool) {
	var b strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		if unicode.Is(unicode.Mn, d) {
			continue
		}
		if !IsGSM7(d) {
			return "", false
		}
		b.WriteRune(d)
	}
	return b.String(), b.Len() > 0
}
