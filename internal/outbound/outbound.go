// Package outbound owns where an SMS leaves: every outgoing message is
// stored with an idempotency key, queued in Redis (asynq), sent at the
// account's rate, retried when the provider says so, and tracked to
// delivery. Reminders, broadcasts, call-back alerts and one-off messages
// all go through Send.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/gsm"
	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/sms"
)

// Store keeps messages and who may receive them.
type Store interface {
	CreateMessage(ctx context.Context, m *sms.Message) (bool, error)
	ClaimMessage(ctx context.Context, id string, now time.Time) (sms.Claim, error)
	AddStep(ctx context.Context, id string, st sms.Step, sid string) (bool, error)
	Message(ctx context.Context, id string) (*sms.Message, error)
	SetOptOut(ctx context.Context, phone string, out bool) error
	SetInvalid(ctx context.Context, phone string, code int) error
	// Stranded lists up to n messages stored before t that the requeuer
	// has not checked, and whether each is still queued with no task.
	Stranded(ctx context.Context, t time.Time, n int64) (ids []string, stranded []bool, err error)
	Checked(ctx context.Context, ids []string) error
}

// Config is what the pipeline depends on.
type Config struct {
	Redis       redis.UniversalClient
	Queue       string // asynq queue name
	RateKey     string // Redis key of the account-wide rate limit, used as it is (under the prefix)
	Store       Store
	Sender      sms.Sender
	Rate        int // messages per second for the whole account; 0: no limit
	Concurrency int // sends in flight per worker
	MaxRetry    int
	FoldAccents bool
	// RetryDelay is the wait before retry n (from 1); nil: doubling from
	// 2 s to 10 minutes, with jitter.
	RetryDelay func(n int) time.Duration
	// RequeueAfter is how old a message stored but not on the queue must
	// be before the requeuer puts it there (1 minute): a Send in progress
	// is given time to do it itself.
	RequeueAfter time.Duration
	Now          func() time.Time
	Log          *slog.Logger
}

// Pipeline queues and sends.
type Pipeline struct {
	cfg     Config
	client  *asynq.Client
	limiter *redis_rate.Limiter
}

// TaskType is the asynq task of one send.
const TaskType = "sms:send"

// New builds a pipeline; Run starts its worker.
func New(c Config) *Pipeline {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 10
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.RequeueAfter <= 0 {
		c.RequeueAfter = time.Minute
	}
	return &Pipeline{cfg: c, client: asynq.NewClientFromRedisClient(c.Redis), limiter: redis_rate.NewLimiter(exactKeys{c.Redis})}
}

// Request is a message to send.
type Request struct {
	ID     string // idempotency key: a second Send with it sends nothing more
	To     string // E.164
	Lang   string // the catalog language the text is in
	Text   string
	Kind   string
	Exempt bool // reaches opted-out people: opt-out confirmations, replies
	// Quota limits such messages to To a day: over it, Send stores nothing
	// and returns sms.ErrOverQuota.
	Quota sms.Quota
	// Broadcast is the broadcast the message belongs to: its outcome is
	// counted there.
	Broadcast string
}

// ErrEmpty is returned for a message with no text.
var ErrEmpty = errors.New("outbound: empty message")

// Send stores and queues a message. It is idempotent: the same ID is
// stored and queued once, and a message already past queueing is left
// alone, so callers may retry Send freely. Should queueing fail after the
// message was stored, the requeuer queues it (see Requeue).
func (p *Pipeline) Send(ctx context.Context, r Request) (*sms.Message, error) {
	text := gsm.Normalize(r.Text, gsm.Options{FoldAccents: p.cfg.FoldAccents, StripStress: r.Lang == "shp"})
	if text == "" {
		return nil, ErrEmpty
	}
	enc, segs := gsm.Segments(text)
	m := &sms.Message{ID: r.ID, To: r.To, Lang: r.Lang, Text: text, Encoding: enc.String(), Segments: segs, Kind: r.Kind,
		Exempt: r.Exempt, Broadcast: r.Broadcast, History: []sms.Step{{Status: sms.Queued, At: p.cfg.Now()}}, Quota: r.Quota}
	created, err := p.cfg.Store.CreateMessage(ctx, m)
	if errors.Is(err, sms.ErrOverQuota) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store message %s: %w", phone.MaskIn(r.ID), err)
	}
	if !created {
		if m, err = p.cfg.Store.Message(ctx, r.ID); err != nil || m == nil || m.Status() != sms.Queued {
			return m, err
		}
	}
	return m, p.enqueue(ctx, r.ID)
}

// enqueue puts message id on the queue, once: the task ID is the message
// ID, so a second enqueue of a task still there changes nothing.
func (p *Pipeline) enqueue(ctx context.Context, id string) error {
	_, err := p.client.EnqueueContext(ctx, asynq.NewTask(TaskType, []byte(id)),
		asynq.Queue(p.cfg.Queue), asynq.TaskID(id), asynq.MaxRetry(p.cfg.MaxRetry))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("queue message %s: %w", phone.MaskIn(id), err)
	}
	return nil
}

// requeuePage bounds the messages the requeuer checks in one round trip.
const requeuePage = 500

// Requeue puts back on the queue every message stored more than
// RequeueAfter ago that is still queued with no task: one whose Send
// stored it and then failed to queue it (a Redis stall between the two
// steps). It returns how many it queued. Running it on several workers at
// once queues each message once.
func (p *Pipeline) Requeue(ctx context.Context) (int, error) {
	before := p.cfg.Now().Add(-p.cfg.RequeueAfter)
	queued := 0
	for {
		ids, stranded, err := p.cfg.Store.Stranded(ctx, before, requeuePage)
		if err != nil || len(ids) == 0 {
			return queued, err
		}
		for i, id := range ids {
			if !stranded[i] {
				continue
			}
			if err := p.enqueue(ctx, id); err != nil {
				return queued, err // left listed: the next pass tries again
			}
			queued++
		}
		if err := p.cfg.Store.Checked(ctx, ids); err != nil || len(ids) < requeuePage {
			return queued, err
		}
	}
}

// RequeueTick requeues and logs what it did: the background loop's tick.
func (p *Pipeline) RequeueTick(ctx context.Context) {
	if n, err := p.Requeue(ctx); err != nil {
		p.cfg.Log.Error("sms requeue", "err", err)
	} else if n > 0 {
		p.cfg.Log.Warn("sms stored but not queued, queued now", "count", n)
	}
}

// Close releases the queue client.
func (p *Pipeline) Close() error { return p.client.Close() }
