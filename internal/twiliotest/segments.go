package twiliotest

import "unicode/utf16"

// GSM 03.38: the basic table costs one septet a character, the extension
// table two (an escape plus the character). Anything else forces UCS-2.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

var septets = func() map[rune]int {
	m := make(map[rune]int)
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// segments is how many SMS parts Twilio would report for body: 160 GSM-7
// characters fit one part, 153 each when concatenated; 70 and 67 in UCS-2.
func segments(body string) int {
	n := 0
	for _, r := range body {
		c, ok := septets[r]
		if !ok {
			return parts(ucs2Units(body), 70, 67)
		}
		n += c
	}
	return parts(n, 160, 153)
}

func ucs2Units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func parts(n, single, each int) int {
	if n <= single {
		return 1
	}
	return (n + each - 1) / each
}
