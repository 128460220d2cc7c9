// Package phone owns phone numbers: everything inside Willay is E.164
// ("+51987654321"). Numbers are normalized once, where they enter from staff
// or gateways, so the rest of the system can compare them as plain strings.
package phone

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every error Normalize returns.
var ErrInvalid = errors.New("invalid phone number")

// Reasons Normalize gives, worded for program officers fixing a spreadsheet.
const (
	reasonEmpty    = "the number is empty"
	reasonPlus     = "a + is only allowed at the start"
	reasonPeru     = "a Peruvian mobile number has 9 digits starting with 9"
	reasonForeign  = "a number from another country has 8 to 15 digits including the country code"
	reasonCountry0 = "a country code never starts with 0"
)

const peru = "51"

// invalidError keeps the message a plain sentence ("phone "***65": …")
// while errors.Is(err, ErrInvalid) still holds. The input is masked: the
// message reaches logs and bad-request reasons, and a number one digit
// off is still someone's.
type invalidError struct {
	input, reason string
}

func (e *invalidError) Error() string {
	return fmt.Sprintf("phone %q: %s", Mask(e.input), e.reason)
}

func (e *invalidError) Unwrap() error { return ErrInvalid }

func invalid(input, reason string) error {
	return &invalidError{input: clip(input), reason: reason}
}

// clip keeps errors readable when a whole spreadsheet cell of garbage is
// passed in as a number.
func clip(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Normalize accepts what staff and gateways send: "987654321",
// "51987654321", "+51 987 654 321", "0051987654321", "+51-987-654-321",
// "(+51) 987.654.321", "tel:+51987654321", with surrounding spaces, and
// returns E.164. Peru (+51) numbers must be mobile, because Willay only
// reaches people by SMS and USSD. A number with another country code is
// accepted when it starts with + or 00 and has 8 to 15 digits in all.
// Errors wrap ErrInvalid.
func Normalize(s string) (string, error) {
	plus, digits, reason := clean(s)
	if reason != "" {
		return "", invalid(s, reason)
	}
	if !plus && strings.HasPrefix(digits, "00") {
		plus, digits = true, digits[2:]
	}
	var reasonErr string
	if plus {
		reasonErr = checkInternational(digits)
	} else {
		digits, reasonErr = national(digits)
	}
	if reasonErr != "" {
		return "", invalid(s, reasonErr)
	}
	return "+" + digits, nil
}

// clean strips the "tel:" scheme and visual separators, and reports whether
// the number started with +. A non-empty reason means s is unusable.
func clean(s string) (plus bool, digits, reason string) {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
		s = s[4:]
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && !plus:
			plus = true
		case r == '+':
			return false, "", reasonPlus
		case r == '-' || r == '.' || r == '(' || r == ')' || unicode.IsSpace(r):
		default:
			return false, "", fmt.Sprintf("%q is not allowed; use only digits, spaces, + and - . ( )", r)
		}
	}
	if b.Len() == 0 {
		return false, "", reasonEmpty
	}
	return plus, b.String(), ""
}

// national turns a number written without + or 00 into E.164 digits. Such
// numbers can only be Peruvian: staff write them with or without the 51.
func national(digits string) (string, string) {
	if len(digits) == 11 && strings.HasPrefix(digits, peru) {
		digits = digits[len(peru):]
	}
	if !isPeruMobile(digits) {
		return "", reasonPeru
	}
	return peru + digits, ""
}

// checkInternational validates digits that follow + or 00.
func checkInternational(digits string) string {
	switch {
	case strings.HasPrefix(digits, peru):
		if !isPeruMobile(digits[len(peru):]) {
			return reasonPeru
		}
	case len(digits) < 8 || len(digits) > 15:
		return reasonForeign
	case digits[0] == '0':
		return reasonCountry0
	}
	return ""
}

func isPeruMobile(national string) bool {
	return len(national) == 9 && national[0] == '9'
}

// Mask hides the middle of a number for logs: "+51987654321" becomes
// "+51******321", keeping the country code and last 3 digits so staff can
// still tell numbers apart. Short or odd input is masked entirely except the
// last 2 characters. Mask never returns the full number.
func Mask(s string) string {
	if isE164(s) {
		return s[:3] + strings.Repeat("*", len(s)-6) + s[len(s)-3:]
	}
	r := []rune(s)
	keep := 2
	if len(r) <= keep {
		keep = 0 // otherwise a 1- or 2-character input would come back whole
	}
	return strings.Repeat("*", len(r)-keep) + string(r[len(r)-keep:])
}

// inText finds E.164 numbers inside a longer text, such as a message ID
// ("rem:+51987654321:v:visit.day_before").
var inText = regexp.MustCompile(`\+[0-9]{8,15}`)

// MaskIn masks every E.164 number inside s, for logs and errors that name
// something keyed by a phone.
func MaskIn(s string) string { return inText.ReplaceAllStringFunc(s, Mask) }

// isE164 reports whether s has the shape Normalize returns.
func isE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
