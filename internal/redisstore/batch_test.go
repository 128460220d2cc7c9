package redisstore

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestBatchSurvivesAPanic: a hop whose commands panic while the shared
// pipeline is filled fails with an error, counted by the guard; the
// batcher goes on serving the next hops.
func TestBatchSurvivesAPanic(t *testing.T) {
	_, r := newStore(t)
	var panics atomic.Int32
	guard := func(_ string, fn func()) (panicked bool) {
		defer func() {
			if recover() != nil {
				panics.Add(1)
				panicked = true
			}
		}()
		fn()
		return false
	}
	b := newBatcher(r.Client, 1, 2*time.Second, guard)
	defer b.close()
	ctx := context.Background()
	if err := b.do(ctx, func(redis.Pipeliner) { panic("bug") }); err == nil {
		t.Error("the hop whose pipeline panicked gets no error")
	}
	var get *redis.StringCmd
	if err := b.do(ctx, func(p redis.Pipeliner) { get = p.Get(ctx, r.Prefix+"none") }); err != nil || get.Err() != redis.Nil {
		t.Errorf("the next hop: %v %v", err, get.Err())
	}
	if panics.Load() != 1 {
		t.Errorf("%d panics counted, want 1", panics.Load())
	}
}
