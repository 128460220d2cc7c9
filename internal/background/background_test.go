package background

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLoopGoesOnAfterAPanic: ticks that panic (a nil map, a panic with a
// phone in it) are counted and logged without the value, and the loop
// keeps ticking.
func TestLoopGoesOnAfterAPanic(t *testing.T) {
	var logs syncBuffer
	reg := prometheus.NewRegistry()
	l := New(reg, slog.New(slog.NewJSONHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ticks atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Every(ctx, "test", time.Millisecond, func(context.Context) {
			switch ticks.Add(1) {
			case 1:
				var m map[string]int
				m["x"] = 1
			case 2:
				panic("reminder for +51900000001 failed")
			case 5:
				cancel()
			}
		})
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // a guard, not a measurement
		t.Fatal("the loop stopped ticking after a panic")
	}
	if n := ticks.Load(); n < 5 {
		t.Errorf("%d ticks, want 5", n)
	}
	if got := panics(t, reg, "test"); got != 2 {
		t.Errorf("willay_background_panics_total{loop=test} = %v, want 2", got)
	}
	out := logs.String()
	if !strings.Contains(out, "assignment to entry in nil map") || !strings.Contains(out, `"panic":"string"`) {
		t.Errorf("the log names each panic: %s", out)
	}
	if strings.Contains(out, "900000001") {
		t.Errorf("a panic's value reached the log: %s", out)
	}
}

func TestDoReportsAPanic(t *testing.T) {
	l := New(prometheus.NewRegistry(), slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	if l.Do("x", func() {}) {
		t.Error("no panic reported as one")
	}
	if !l.Do("x", func() { panic(1) }) {
		t.Error("a panic not reported")
	}
}

// panics reads willay_background_panics_total{loop} from reg.
func panics(t *testing.T, reg *prometheus.Registry, loop string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "willay_background_panics_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "loop" && lp.GetValue() == loop {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
