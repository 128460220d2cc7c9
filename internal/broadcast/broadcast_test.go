package broadcast

import (
	"testing"
	"time"
)

func TestParseDay(t *testing.T) {
	lima, _ := time.LoadLocation("America/Lima")
	now := time.Date(2026, 12, 20, 15, 0, 0, 0, lima)
	for _, tt := range []struct {
		in   string
		want string // "" when refused
	}{
		{"2012", "2026-12-20"}, // today
		{"3112", "2026-12-31"},
		{"0501", "2027-01-05"}, // January is next year
		{"1802", "2027-02-18"}, // 60 days ahead
		{"1902", ""},           // 61 days ahead
		{"1912", ""},           // yesterday is not next year's 19 December
		{"2902", ""},           // 2027 is not a leap year
		{"3104", ""},           // no 31 April
		{"0013", ""}, {"123", ""}, {"12345", ""}, {"ab12", ""}, {"0000", ""},
	} {
		got, ok := ParseDay(tt.in, now)
		if ok != (tt.want != "") || (ok && got.Format("2006-01-02") != tt.want) {
			t.Errorf("ParseDay(%q) = %s %v, want %q", tt.in, got.Format("2006-01-02"), ok, tt.want)
		}
	}
}

func TestParseClock(t *testing.T) {
	for in, want := range map[string]string{"0000": "00:00", "0900": "09:00", "2359": "23:59", "2400": "", "1260": "", "900": "", "9:00": ""} {
		if got, ok := ParseClock(in); got != want || ok != (want != "") {
			t.Errorf("ParseClock(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

func TestShortName(t *testing.T) {
	for _, tt := range []struct{ name, phone, want string }{
		{"Rosa Quispe Huaman", "+51900000001", "Rosa Quispe"},
		{"Rosa", "+51900000001", "Rosa"},
		{"  ", "+51900000001", "...0001"},
	} {
		if got := shortName(tt.name, tt.phone); got != tt.want {
			t.Errorf("shortName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestParseDayAcrossSummerTime: the window counts days, not hours: from
// September to November in New York a day is an hour longer.
func TestParseDayAcrossSummerTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 9, 10, 15, 0, 0, 0, ny) // EDT; 9 November is EST
	if got, ok := ParseDay("0911", now); !ok || got.Format("2006-01-02") != "2026-11-09" {
		t.Errorf("60 days ahead across the change: %s %v", got.Format("2006-01-02"), ok)
	}
	if _, ok := ParseDay("1011", now); ok {
		t.Error("61 days ahead is refused")
	}
}
