package outbound

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"
)

// exactKeys gives redis_rate the key it is asked for. redis_rate puts its
// own "rate:" in front of every key, which would put the account's limit
// outside the installation's prefix (WILLAY_REDIS_PREFIX): two
// installations on one Redis would share it, and the key layout in
// redisstore could not name it. The library is kept (its GCRA script is
// the point); only its key is taken back.
type exactKeys struct{ redis.UniversalClient }

// ratePrefix is what redis_rate v10 puts before keys.
const ratePrefix = "rate:"

func unprefixed(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.TrimPrefix(k, ratePrefix)
	}
	return out
}

func (c exactKeys) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return c.UniversalClient.Eval(ctx, script, unprefixed(keys), args...)
}

func (c exactKeys) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return c.UniversalClient.EvalSha(ctx, sha1, unprefixed(keys), args...)
}

func (c exactKeys) EvalRO(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return c.UniversalClient.EvalRO(ctx, script, unprefixed(keys), args...)
}

func (c exactKeys) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return c.UniversalClient.EvalShaRO(ctx, sha1, unprefixed(keys), args...)
}

func (c exactKeys) Del(ctx context.Context, keys ...string) *redis.IntCmd {
	return c.UniversalClient.Del(ctx, unprefixed(keys)...)
}
