// Package loadtest owns `willay load`: the USSD benchmark that measures
// Willay against a bare floor on the same machine in the same run, and the
// import of a synthetic program of up to a million participants.
//
// The Redis these runs use is usually shared. Every run writes under its own
// key prefix and deletes exactly those keys when it ends, on success, error
// or interrupt alike; nothing here ever flushes a database.
package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is the Redis a run uses when neither --redis nor
// REDIS_URL names one.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// prefixRoot starts every key a run writes; deletePrefix refuses anything
// else, so a bug cannot turn the clean-up into a wider delete.
const prefixRoot = "willayload:"

// backend is the Redis one run talks to.
type backend struct {
	url    string // what Willay and the floor connect to
	client *redis.Client
	mini   *miniredis.Miniredis // nil on a real server
	note   string               // why the run fell back to miniredis, if it did
}

// openRedis connects to url, or to an in-process miniredis when url is
// empty or does not answer: a benchmark that runs anywhere beats one that
// refuses to, as long as the output says which Redis it measured.
func openRedis(ctx context.Context, url string) (*backend, error) {
	if url != "" {
		b, err := dial(ctx, url)
		if err == nil {
			return b, nil
		}
		var parse *urlError
		if errors.As(err, &parse) {
			return nil, err
		}
		b, merr := startMini(ctx)
		if merr != nil {
			return nil, merr
		}
		b.note = fmt.Sprintf("Redis at %s does not answer (%v); using an in-process miniredis instead", redact(url), err)
		return b, nil
	}
	b, err := startMini(ctx)
	if err == nil {
		b.note = "no Redis URL given; using an in-process miniredis"
	}
	return b, err
}

type urlError struct{ err error }

func (e *urlError) Error() string { return "redis URL: " + e.err.Error() }

func dial(ctx context.Context, url string) (*backend, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, &urlError{err}
	}
	if err := probe(ctx, *opt); err != nil {
		return nil, err
	}
	return &backend{url: url, client: redis.NewClient(opt)}, nil
}

// probe pings once, without the client's retries, so that a Redis that is
// not there costs a moment rather than seconds of redials.
func probe(ctx context.Context, opt redis.Options) error {
	opt.DialTimeout, opt.DialerRetries, opt.MaxRetries = time.Second, 1, -1
	c := redis.NewClient(&opt)
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return c.Ping(pctx).Err()
}

func startMini(ctx context.Context) (*backend, error) {
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		return nil, fmt.Errorf("in-process redis: %w", err)
	}
	b, err := dial(ctx, "redis://"+m.Addr())
	if err != nil {
		m.Close()
		return nil, err
	}
	b.mini = m
	return b, nil
}

func (b *backend) close() {
	_ = b.client.Close()
	if b.mini != nil {
		b.mini.Close()
	}
}

// describe names the Redis for the report, without its password.
func (b *backend) describe() string {
	if b.mini != nil {
		return "in-process miniredis at " + b.mini.Addr()
	}
	return redact(b.url)
}

func redact(u string) string {
	if at := strings.LastIndex(u, "@"); at > 0 {
		if i := strings.Index(u, "://"); i > 0 && i < at {
			return u[:i+3] + "***" + u[at:]
		}
	}
	return u
}

// newPrefix is random so that runs on the same Redis, at the same time or
// left behind by a killed process, never share a key.
func newPrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefixRoot + hex.EncodeToString(b) + ":"
}

// cleanUp deletes the run's keys and says so. The run's own error, if
// any, stays the one returned.
func cleanUp(out io.Writer, be *backend, prefix string, runErr error) (deleted, left int, err error) {
	start := time.Now()
	deleted, left, err = deletePrefix(be.client, prefix)
	if err != nil {
		fmt.Fprintf(out, "clean-up of %s* failed after %d keys: %v\n", prefix, deleted, err)
		if runErr == nil {
			runErr = fmt.Errorf("clean-up of %s*: %w", prefix, err)
		}
		return deleted, left, runErr
	}
	fmt.Fprintf(out, "clean-up: deleted %d keys under %s with UNLINK in %s (%d left)\n", deleted, prefix, time.Since(start).Round(time.Millisecond), left)
	return deleted, left, runErr
}

// deletePrefix unlinks every key under prefix and returns how many it
// removed and how many a final scan still found. It uses its own context:
// the run's is already cancelled when ^C brought us here.
func deletePrefix(rdb *redis.Client, prefix string) (deleted, left int, err error) {
	if !strings.HasPrefix(prefix, prefixRoot) || len(prefix) <= len(prefixRoot) {
		return 0, 0, fmt.Errorf("refusing to delete keys under %q", prefix)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// SCAN may return a key twice; what UNLINK removed is the true count.
	_, err = scanPrefix(ctx, rdb, prefix, func(keys []string) error {
		n, err := rdb.Unlink(ctx, keys...).Result()
		deleted += int(n)
		return err
	})
	if err != nil {
		return deleted, 0, err
	}
	left, err = scanPrefix(ctx, rdb, prefix, func([]string) error { return nil })
	return deleted, left, err
}

// scanPrefix hands the keys under prefix to each in batches of 1000.
func scanPrefix(ctx context.Context, rdb *redis.Client, prefix string, each func([]string) error) (int, error) {
	iter := rdb.Scan(ctx, 0, prefix+"*", 5000).Iterator()
	batch := make([]string, 0, 1000)
	n := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n += len(batch)
		err := each(batch)
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

// infoField reads one numeric field of INFO section; ok is false when the
// server does not report it (miniredis has no memory section).
func infoField(ctx context.Context, rdb *redis.Client, section, field string) (float64, bool) {
	info, err := rdb.Info(ctx, section).Result()
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(info, "\n") {
		if v, found := strings.CutPrefix(strings.TrimSpace(line), field+":"); found {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}
