package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// batcher sends the commands of concurrent hops together. Every hop that
// arrives while a round trip is in flight goes into the next one, so under
// load one write and one read carry many hops' reads or saves, where
// go-redis alone spends a round trip, and a system call on each side, per
// hop. With one hop at a time it is a plain pipeline. go-redis v9 has no
// automatic pipelining (rueidis does, but the design card fixes go-redis),
// hence these few lines.
type batcher struct {
	rdb     redis.UniversalClient
	reqs    chan *batchReq
	quit    chan struct{}
	stop    sync.Once
	timeout time.Duration
}

type batchReq struct {
	fill func(redis.Pipeliner)
	done chan struct{}
}

// errClosed is returned after Close.
var errClosed = errors.New("redis store closed")

// maxBatch bounds one pipeline, so that one round trip stays short.
const maxBatch = 128

func newBatcher(rdb redis.UniversalClient, workers int, timeout time.Duration) *batcher {
	b := &batcher{rdb: rdb, reqs: make(chan *batchReq), quit: make(chan struct{}), timeout: timeout}
	for range workers {
		go b.work()
	}
	return b
}

// do queues fill's commands into the next pipeline and waits until it has
// run. The commands carry their own results and errors.
func (b *batcher) do(ctx context.Context, fill func(redis.Pipeliner)) error {
	r := &batchReq{fill: fill, done: make(chan struct{})}
	select {
	case b.reqs <- r:
	case <-b.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *batcher) work() {
	for {
		var first *batchReq
		select {
		case first = <-b.reqs:
		case <-b.quit:
			return
		}
		batch := []*batchReq{first}
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		b.run(batch)
	}
}

func (b *batcher) run(batch []*batchReq) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	pipe := b.rdb.Pipeline()
	for _, r := range batch {
		r.fill(pipe)
	}
	_, _ = pipe.Exec(ctx) // each command keeps its own error
	for _, r := range batch {
		close(r.done)
	}
}

func (b *batcher) close() { b.stop.Do(func() { close(b.quit) }) }
