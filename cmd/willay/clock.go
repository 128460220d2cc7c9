package main

import (
	"context"

	"github.com/willay-pe/willay/internal/app"
)

// The commands read the time through their context: main leaves the real
// clock, and a test gives one it controls, so that what a command does at
// 03:20 can be tried at any hour.
type clockKey struct{}

func withClock(ctx context.Context, now app.Now) context.Context {
	return context.WithValue(ctx, clockKey{}, now)
}

// clockOf is the context's clock; nil means the real one.
func clockOf(ctx context.Context) app.Now {
	now, _ := ctx.Value(clockKey{}).(app.Now)
	return now
}
