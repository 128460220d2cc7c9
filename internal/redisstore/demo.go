package redisstore

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// A demo seeds made-up people. It may do so only where nothing real can
// be: under a prefix a demo seeded before (the demo key), or one that
// holds none of what an installation in use has. A start outside demo mode
// and an import of people mark the prefix real. Scanning the prefix would
// say more, but costs a pass over the whole Redis at every start.

// DemoAllowed tells whether demo data may be written under the prefix.
func (s *Store) DemoAllowed(ctx context.Context) (bool, error) {
	pipe := s.rdb.Pipeline()
	real := pipe.Exists(ctx, s.keys.Real())
	demo := pipe.Exists(ctx, s.keys.Demo())
	used := pipe.Exists(ctx, s.keys.SMSLog(), s.keys.BroadcastsLog(), s.keys.RemindersDue(), s.keys.RemindersSkipped(), s.keys.Outbox())
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return false, err
	}
	switch {
	case real.Val() > 0:
		return false, nil
	case demo.Val() > 0:
		return true, nil
	}
	return used.Val() == 0, nil
}

// MarkDemo records that the prefix holds a demo's made-up people, after
// seeding: the seed goes through the import sink, which marks it real.
func (s *Store) MarkDemo(ctx context.Context) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.keys.Demo(), "1", 0)
		p.Del(ctx, s.keys.Real())
		return nil
	})
	return err
}

// MarkReal records that the prefix holds an installation's real data.
func (s *Store) MarkReal(ctx context.Context) error {
	return s.rdb.Set(ctx, s.keys.Real(), "1", 0).Err()
}
