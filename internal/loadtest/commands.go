package loadtest

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// commandCount counts the Redis commands and round trips a client sends
// while on: exact, where INFO commandstats would count a shared server's
// other clients too.
type commandCount struct {
	on                   atomic.Bool
	commands, roundTrips atomic.Int64
}

func (c *commandCount) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandCount) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if c.on.Load() {
			c.commands.Add(1)
			c.roundTrips.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c *commandCount) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if c.on.Load() {
			c.commands.Add(int64(len(cmds)))
			c.roundTrips.Add(1)
		}
		return next(ctx, cmds)
	}
}

// measure counts what fn sends.
func (c *commandCount) measure(fn func()) (commands, roundTrips int64) {
	c.commands.Store(0)
	c.roundTrips.Store(0)
	c.on.Store(true)
	fn()
	c.on.Store(false)
	return c.commands.Load(), c.roundTrips.Load()
}
