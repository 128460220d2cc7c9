// Package background owns the loops that run beside the HTTP server:
// reminders, broadcasts, requeueing SMS. A tick that panics is recovered,
// logged and counted, and its loop goes on: a bug in one loop must never
// take the process, and USSD with it, down.
package background

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Loops runs loops and counts their panics.
type Loops struct {
	log    *slog.Logger
	panics *prometheus.CounterVec
}

// New registers willay_background_panics_total{loop} with reg; with a nil
// reg the panics are logged and counted, but not exported.
func New(reg prometheus.Registerer, log *slog.Logger) *Loops {
	l := &Loops{log: log, panics: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "willay_background_panics_total",
		Help: "Panics recovered in a background loop's tick, by loop; the loop went on."}, []string{"loop"})}
	if reg != nil {
		reg.MustRegister(l.panics)
	}
	return l
}

// Every runs tick every d until ctx ends; the first tick comes after d.
func (l *Loops) Every(ctx context.Context, loop string, d time.Duration, tick func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.Do(loop, func() { tick(ctx) })
		}
	}
}

// Do runs fn once; a panic is logged and counted, and reported as true.
// The log has the panic's type, a runtime error's own fixed text, and the
// stack, never the panic's value: it could hold a phone or a name.
func (l *Loops) Do(loop string, fn func()) (panicked bool) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		panicked = true
		l.panics.WithLabelValues(loop).Inc()
		what := fmt.Sprintf("%T", p)
		if re, ok := p.(runtime.Error); ok {
			what = re.Error()
		}
		l.log.Error("background loop panicked; it goes on", "loop", loop, "panic", what, "stack", string(debug.Stack()))
	}()
	fn()
	return false
}
