package redisstore

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// A demo seeds made-up people. It may do so only where nothing real can
// be: a prefix that is empty, or that a demo seeded before (marked by the
// demo key, which any import of participants or coaches removes, so that a
// prefix that received real people is never seeded again).

// DemoAllowed tells whether demo data may be written under the prefix.
func (s *Store) DemoAllowed(ctx context.Context) (bool, error) {
	err := s.rdb.Get(ctx, s.keys.Demo()).Err()
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, redis.Nil):
		return false, err
	}
	var cursor uint64
	for { // a large COUNT: the prefix may be one of many on a big Redis

		keys, next, err := s.rdb.Scan(ctx, cursor, s.keys.Prefix+"*", 10_000).Result()
		if err != nil || len(keys) > 0 {
			return false, err
		}
		if cursor = next; cursor == 0 {
			return true, nil
		}
	}
}

// MarkDemo records that the prefix holds a demo's made-up people.
func (s *Store) MarkDemo(ctx context.Context) error {
	return s.rdb.Set(ctx, s.keys.Demo(), "1", 0).Err()
}
