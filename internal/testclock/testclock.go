// Package testclock gives tests a clock they control, so that the suite
// passes at any hour. The clock starts today, in Lima, at the time of day
// that WILLAY_TEST_CLOCK names ("03:20"), or at 10:00 without it; it then
// moves on with real time, and Advance moves it further. `make test` runs
// the suite once inside quiet hours and once outside them this way.
package testclock

import (
	"os"
	"sync"
	"testing"
	"time"
)

// Env names the time of day the clock starts at, as "15:04".
const Env = "WILLAY_TEST_CLOCK"

// Clock is a test's clock.
type Clock struct {
	mu     sync.Mutex
	start  time.Time // the clock's time when real time was realStart
	real0  time.Time
	frozen bool
}

// New starts a clock at today's WILLAY_TEST_CLOCK (10:00 unset), in Lima.
func New(t testing.TB) *Clock {
	t.Helper()
	lima, err := time.LoadLocation("America/Lima")
	if err != nil {
		t.Fatal(err)
	}
	hm := os.Getenv(Env)
	if hm == "" {
		hm = "10:00"
	}
	at, err := time.ParseInLocation("15:04", hm, lima)
	if err != nil {
		t.Fatalf("%s=%q: want a time of day as 15:04: %v", Env, hm, err)
	}
	now := time.Now().In(lima)
	start := time.Date(now.Year(), now.Month(), now.Day(), at.Hour(), at.Minute(), 0, 0, lima)
	return &Clock{start: start, real0: time.Now()}
}

// Now is the clock's time: its start plus the real time gone by since,
// plus every Advance.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.start
	}
	return c.start.Add(time.Since(c.real0))
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.start = c.start.Add(d)
	c.mu.Unlock()
}

// Freeze stops the clock where it is, for tests that compare exact times.
func (c *Clock) Freeze() {
	c.mu.Lock()
	if !c.frozen {
		c.start, c.frozen = c.start.Add(time.Since(c.real0)), true
	}
	c.mu.Unlock()
}
