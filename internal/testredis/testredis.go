// Package testredis gives each test its own corner of a real Redis: the
// server at REDIS_URL (CI's shared one), or an in-process miniredis server
// when REDIS_URL is unset. Every test gets its own key prefix and deletes
// only its own keys: never FLUSHALL or FLUSHDB on a shared server.
package testredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Redis is a client and the prefix a test owns.
type Redis struct {
	Client *redis.Client
	URL    string
	Prefix string
	Mini   *miniredis.Miniredis // nil on a real server
}

// New connects and registers clean-up of the test's keys.
func New(t testing.TB) *Redis {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	r := &Redis{Prefix: "willaytest:" + randomHex() + ":"}
	if url == "" {
		r.Mini = miniredis.RunT(t)
		url = "redis://" + r.Mini.Addr()
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	r.URL, r.Client = url, redis.NewClient(opt)
	if err := r.Client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	t.Cleanup(func() {
		r.Clean(t)
		_ = r.Client.Close()
	})
	return r
}

// Clean deletes every key under the test's prefix.
func (r *Redis) Clean(t testing.TB) {
	ctx := context.Background()
	iter := r.Client.Scan(ctx, 0, r.Prefix+"*", 10000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			r.Client.Unlink(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		r.Client.Unlink(ctx, batch...)
	}
	if err := iter.Err(); err != nil {
		t.Errorf("clean %s*: %v", r.Prefix, err)
	}
}

// Keys lists the test's keys, without the prefix. It scans rather than
// calling KEYS, which would block a shared server.
func (r *Redis) Keys(t testing.TB) []string {
	ctx := context.Background()
	var keys []string
	iter := r.Client.Scan(ctx, 0, r.Prefix+"*", 10000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, strings.TrimPrefix(iter.Val(), r.Prefix))
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Queue is an asynq queue name under the test's prefix; the queue and
// everything asynq keeps for it are deleted after the test.
func (r *Redis) Queue(t testing.TB) string {
	q := r.Prefix + "sms"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := r.Client.Scan(ctx, 0, "asynq:{"+q+"}*", 10000).Iterator()
		for iter.Next(ctx) {
			r.Client.Unlink(ctx, iter.Val())
		}
		r.Client.SRem(ctx, "asynq:queues", q)
	})
	return q
}
