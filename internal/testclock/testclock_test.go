package testclock

import (
	"testing"
	"time"
)

func TestStartsAtTheNamedHour(t *testing.T) {
	for _, c := range []struct{ env, want string }{{"03:20", "03:20"}, {"", "10:00"}, {"20:45", "20:45"}} {
		t.Setenv(Env, c.env)
		clk := New(t)
		clk.Freeze()
		if got := clk.Now().Format("15:04"); got != c.want {
			t.Errorf("%s=%q: starts at %s, want %s", Env, c.env, got, c.want)
		}
		before := clk.Now()
		clk.Advance(2 * time.Hour)
		if d := clk.Now().Sub(before); d != 2*time.Hour {
			t.Errorf("Advance(2h) moved the clock %s", d)
		}
	}
}
