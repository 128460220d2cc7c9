package program

import (
	"strings"
	"testing"
	"time"
)

func TestMoney(t *testing.T) {
	for cents, want := range map[int64]string{0: "S/ 0.00", 35000: "S/ 350.00", 123456789: "S/ 1,234,567.89", -550: "S/ -5.50"} {
		if got := Money(cents); got != want {
			t.Errorf("Money(%d) = %q, want %q", cents, got, want)
		}
	}
}

func TestParseMoney(t *testing.T) {
	for in, want := range map[string]int64{"350": 35000, "350.5": 35050, "350.00": 35000, "1,250.00": 125000, " 0.07 ": 7} {
		if got, err := ParseMoney(in); err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "3.505", "1e3", "-5", "350.", ".5", strings.Repeat("9", 13)} {
		if _, err := ParseMoney(bad); err == nil {
			t.Errorf("ParseMoney(%q) accepted", bad)
		}
	}
}

func TestDayAndUpcoming(t *testing.T) {
	lima, _ := time.LoadLocation("America/Lima")
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, lima)
	if got := Day(time.Date(2026, 12, 3, 0, 0, 0, 0, lima), now); got != "03/12" {
		t.Errorf("same year: %q", got)
	}
	if got := Day(time.Date(2027, 1, 31, 0, 0, 0, 0, lima), now); got != "31/01/2027" {
		t.Errorf("next year: %q", got)
	}
	evs := []Event{
		{ID: "late", Kind: Visit, Date: "2026-12-01", Time: "09:00"},
		{ID: "past", Kind: Visit, Date: "2026-11-27", Time: "09:59"},
		{ID: "soon", Kind: Meeting, Date: "2026-11-27", Time: "10:30"},
		{ID: "pay-today", Kind: Transfer, Date: "2026-11-27"},
		{ID: "pay-gone", Kind: Transfer, Date: "2026-11-26"},
		{ID: "bad", Kind: Visit, Date: "2026-13-01", Time: "09:00"},
	}
	var got []string
	for _, e := range Upcoming(evs, now, Visit, Meeting) {
		got = append(got, e.ID)
	}
	if strings.Join(got, ",") != "soon,late" {
		t.Errorf("visits and meetings to come, soonest first: %v", got)
	}
	if up := Upcoming(evs, now, Transfer); len(up) != 1 || up[0].ID != "pay-today" {
		t.Errorf("a payment stays upcoming through its day: %+v", up)
	}
}
