package phone

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"987654321", "+51987654321"},
		{"51987654321", "+51987654321"},
		{"+51987654321", "+51987654321"},
		{"+51 987 654 321", "+51987654321"},
		{"0051987654321", "+51987654321"},
		{"+51-987-654-321", "+51987654321"},
		{"(+51) 987.654.321", "+51987654321"},
		{"tel:+51987654321", "+51987654321"},
		{"TEL:+51 987 654 321", "+51987654321"},
		{"  987 654 321\t\n", "+51987654321"},
		{"\u00a0+51\u00a0987654321", "+51987654321"},
		{"+1 (202) 555-0123", "+12025550123"},
		{"0034 612 345 678", "+34612345678"},
		{"+59171234567", "+59171234567"},
		{"+12345678", "+12345678"},
		{"+123456789012345", "+123456789012345"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestNormalizeInvalid: the error says why, and shows the number masked as
// in logs: it reaches logs and bad-request reasons, and a number one digit
// short is still someone's.
func TestNormalizeInvalid(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"98765", `phone "***65": a Peruvian mobile number has 9 digits starting with 9`},
		{"", `phone "": the number is empty`},
		{"   ", `phone "*  ": the number is empty`},
		{"tel:", `phone "**l:": the number is empty`},
		{"+", `phone "*": the number is empty`},
		{"+51 887 654 321", `phone "*************21": a Peruvian mobile number has 9 digits starting with 9`},
		{"887654321", `phone "*******21": a Peruvian mobile number has 9 digits starting with 9`},
		{"9876543210", `phone "********10": a Peruvian mobile number has 9 digits starting with 9`},
		{"+519876543210", `phone "+51*******210": a Peruvian mobile number has 9 digits starting with 9`},
		{"01 4567890", `phone "********90": a Peruvian mobile number has 9 digits starting with 9`},
		{"12025550123", `phone "*********23": a Peruvian mobile number has 9 digits starting with 9`},
		{"98765432a", `phone "*******2a": 'a' is not allowed; use only digits, spaces, + and - . ( )`},
		{"Juan Pérez", `phone "********ez": 'J' is not allowed; use only digits, spaces, + and - . ( )`},
		{"+51 987654321 ext 2", `phone "***************** 2": 'e' is not allowed; use only digits, spaces, + and - . ( )`},
		{"51+987654321", `phone "**********21": a + is only allowed at the start`},
		{"++51987654321", `phone "***********21": a + is only allowed at the start`},
		{"+1234567", `phone "******67": a number from another country has 8 to 15 digits including the country code`},
		{"+1234567890123456", `phone "***************56": a number from another country has 8 to 15 digits including the country code`},
		{"00", `phone "**": a number from another country has 8 to 15 digits including the country code`},
		{"+0123456789", `phone "+01*****789": a country code never starts with 0`},
		{"000123456789", `phone "**********89": a country code never starts with 0`},
		{strings.Repeat("9", 60), `phone "` + strings.Repeat("*", 39) + `9…": a Peruvian mobile number has 9 digits starting with 9`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err == nil {
				t.Fatalf("Normalize(%q) = %q, want error", tt.in, got)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Normalize(%q) error %v does not wrap ErrInvalid", tt.in, err)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("Normalize(%q) error\n got: %s\nwant: %s", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"+51987654321", "+51******321"},
		{"+12025550123", "+12******123"},
		{"+12345678", "+12***678"},
		{"+123456789012345", "+12**********345"},
		{"987654321", "*******21"},
		{"+51 987 654 321", "*************21"},
		{"98765", "***65"},
		{"abc", "*bc"},
		{"ab", "**"},
		{"a", "*"},
		{"", ""},
		{"ñandú", "***dú"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var e164 = regexp.MustCompile(`^\+[0-9]{8,15}$`)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"987654321", "51987654321", "+51 987 654 321", "0051987654321",
		"(+51) 987.654.321", "tel:+51987654321", "98765", "+51 887 654 321",
		"00", "+", "tel:", "+1 202 555 0123", "+0123456789", "51+9", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Normalize(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Normalize(%q) error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		if !e164.MatchString(out) {
			t.Fatalf("Normalize(%q) = %q, not E.164", s, out)
		}
		again, err := Normalize(out)
		if err != nil || again != out {
			t.Fatalf("Normalize(%q) = %q, %v; want it unchanged", out, again, err)
		}
		if Mask(out) == out {
			t.Fatalf("Mask(%q) returned the full number", out)
		}
	})
}

func TestMaskIn(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"rem:+51987654321:v1:visit.day_before", "rem:+51******321:v1:visit.day_before"},
		{"bc:u12ab:+51900000001", "bc:u12ab:+51******001"},
		{"smsin:+51900000002:SM0123456789", "smsin:+51******002:SM0123456789"},
		{"callback:3fa9c2", "callback:3fa9c2"},
		{"+51987654321 and +14155550100", "+51******321 and +14******100"},
	} {
		if got := MaskIn(c.in); got != c.want {
			t.Errorf("MaskIn(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
