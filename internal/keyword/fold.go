package keyword

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Folding is hand-written over x/text's normalization because matching
// needs rules no library bundles: accents and Ñ fold away, apostrophes
// vanish inside a word, and letters glued to digits (SALDO1234) split.

// kind classes a rune for splitting text into words.
type kind int

const (
	gap    kind = iota // separates words: spaces, punctuation, quotes
	letter             // part of a word
	digit              // part of a word; a change letter↔digit splits it
)

// silent reports runes dropped without splitting a word. Quechua writes
// ejectives with an apostrophe (p'unchaw) and phones send ' ’ ´ ` alike,
// or none; zero-width and format characters are invisible to the sender.
func silent(r rune) bool {
	switch r {
	case '\'', '‘', '’', 'ʼ', 'ʹ', 'ʻ', '´', '`', '′', 'ꞌ':
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

func classOf(r rune) kind {
	switch {
	case unicode.IsLetter(r):
		return letter
	case unicode.IsDigit(r):
		return digit
	}
	return gap
}

// words folds text to the upper-case words matching compares: "¿Llámame?"
// gives [LLAMAME], "Saldo: 12 34" gives [SALDO 12 34], "saldo1234" gives
// [SALDO 1234]. NFKD also turns full-width and other compatibility forms
// into plain letters and digits, and splits Ñ into N and a dropped tilde.
func words(text string) []string {
	text = strings.Map(func(r rune) rune {
		if silent(r) {
			return -1
		}
		return r
	}, text)
	var ws []string
	var w strings.Builder
	prev := gap
	for _, r := range norm.NFKD.String(text) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		k := classOf(r)
		if k != prev && w.Len() > 0 {
			ws = append(ws, w.String())
			w.Reset()
		}
		if k != gap {
			w.WriteRune(unicode.ToUpper(r))
		}
		prev = k
	}
	if w.Len() > 0 {
		ws = append(ws, w.String())
	}
	return ws
}

// canonical is a keyword as staff should see it and as help texts may show
// it: upper case, accents gone but Ñ kept (both are GSM-7), no apostrophes,
// single spaces. Anything else that remains is reported by check.
func canonical(kw string) string {
	var b strings.Builder
	for _, r := range norm.NFC.String(strings.ToUpper(kw)) {
		switch {
		case r == 'Ñ':
			b.WriteRune(r)
		case silent(r):
		default:
			for _, d := range norm.NFKD.String(string(r)) {
				if !unicode.Is(unicode.Mn, d) {
					b.WriteRune(d)
				}
			}
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// outside returns the characters of a canonical keyword that are not
// A-Z, 0-9, Ñ or the space between words, each once, in order.
func outside(kw string) string {
	var bad []rune
	for _, r := range kw {
		ok := r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == 'Ñ' || r == ' '
		if !ok && !strings.ContainsRune(string(bad), r) {
			bad = append(bad, r)
		}
	}
	return string(bad)
}
