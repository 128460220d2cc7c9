package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/background"
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
	guard   func(loop string, fn func()) bool
}

type batchReq struct {
	fill func(redis.Pipeliner)
	done chan struct{}
	err  error // set before done closes
}

var (
	// errClosed is returned after Close.
	errClosed = errors.New("redis store closed")
	// errPanic is returned to the hops of a pipeline that panicked.
	errPanic = errors.New("redis store: a shared pipeline panicked")
)

// maxBatch bounds one pipeline, so that one round trip stays short.
const maxBatch = 128

func newBatcher(rdb redis.UniversalClient, workers int, timeout time.Duration, guard func(string, func()) bool) *batcher {
	if guard == nil {
		guard = background.New(nil, slog.Default()).Do
	}
	b := &batcher{rdb: rdb, reqs: make(chan *batchReq), quit: make(chan struct{}), timeout: timeout, guard: guard}
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
		return r.err
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

// run sends one batch; a panic in it (in a hop's fill) fails that batch's
// hops, not the process.
func (b *batcher) run(batch []*batchReq) {
	var err error
	if b.guard("redis_batch", func() { b.exec(batch) }) {
		err = errPanic
	}
	for _, r := range batch {
		r.err = err
		close(r.done)
	}
}

func (b *batcher) exec(batch []*batchReq) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	pipe := b.rdb.Pipeline()
	for _, r := range batch {
		r.fill(pipe)
	}
	_, _ = pipe.Exec(ctx) // each command keeps its own error
}

func (b *batcher) close() { b.stop.Do(func() { close(b.quit) }) }
