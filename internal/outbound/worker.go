package outbound

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/hibiken/asynq"

	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/sms"
)

// Run works the queue until ctx ends, then waits for sends in flight.
func (p *Pipeline) Run(ctx context.Context) error {
	srv := asynq.NewServerFromRedisClient(p.cfg.Redis, asynq.Config{
		Concurrency:     p.cfg.Concurrency,
		Queues:          map[string]int{p.cfg.Queue: 1},
		RetryDelayFunc:  p.retryDelay,
		Logger:          asynqLogger{p.cfg.Log},
		LogLevel:        asynq.WarnLevel,
		ShutdownTimeout: 15 * time.Second,
		// An idle worker looks for work this often; a busy one never waits.
		TaskCheckInterval: 200 * time.Millisecond,
		// Retries come back on time, not up to asynq's default 5 s late.
		DelayedTaskCheckInterval: time.Second,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(TaskType, p.process)
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("outbound worker: %w", err)
	}
	<-ctx.Done()
	srv.Shutdown()
	return nil
}

func (p *Pipeline) retryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	if p.cfg.RetryDelay != nil {
		return p.cfg.RetryDelay(n)
	}
	return backoff(n)
}

// backoff doubles from 2 s to 10 minutes, with jitter so that retries of a
// throttled burst do not come back together.
func backoff(n int) time.Duration {
	d := 2 * time.Second << min(n, 9)
	d = min(d, 10*time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)))
}

// process sends one message. A message already sent is not sent again:
// after a crash, only sends that were in flight can repeat.
func (p *Pipeline) process(ctx context.Context, t *asynq.Task) error {
	id := string(t.Payload())
	c, err := p.cfg.Store.ClaimMessage(ctx, id, p.cfg.Now())
	if err != nil {
		return err
	}
	switch c.Outcome {
	case sms.ClaimMissing:
		p.cfg.Log.Error("queued message not found", "id", phone.MaskIn(id))
		return fmt.Errorf("message %s not found: %w", phone.MaskIn(id), asynq.SkipRetry)
	case sms.ClaimDone, sms.ClaimOptedOut:
		return nil
	}
	if err := p.wait(ctx); err != nil {
		return err
	}
	m := &sms.Message{ID: id, To: c.To, Text: c.Text}
	sid, err := p.cfg.Sender.Send(ctx, m.To, m.Text)
	if err == nil {
		return p.step(ctx, m, sms.Step{Status: sms.Sent}, sid)
	}
	return p.failed(ctx, m, err)
}

// failed records a provider's refusal and decides whether to retry.
func (p *Pipeline) failed(ctx context.Context, m *sms.Message, err error) error {
	verdict, pe := sms.VerdictOf(err)
	st := sms.Step{Status: sms.Failed, Error: err.Error()}
	if pe != nil {
		st.Code, st.Error = pe.Code, pe.Message
	}
	switch verdict {
	case sms.OptOut:
		if err := p.cfg.Store.SetOptOut(ctx, m.To, true); err != nil {
			return err
		}
	case sms.Invalid:
		if err := p.cfg.Store.SetInvalid(ctx, m.To, st.Code); err != nil {
			return err
		}
		p.cfg.Log.Warn("number refused by the provider", "phone", phone.Mask(m.To), "code", st.Code)
	case sms.Retry:
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		if retried < maxRetry {
			st.Status = sms.Queued // back in the queue, with why
			if err := p.step(ctx, m, st, ""); err != nil {
				return err
			}
			return err
		}
	}
	if err := p.step(ctx, m, st, ""); err != nil {
		return err
	}
	return fmt.Errorf("message %s: %s: %w", phone.MaskIn(m.ID), phone.MaskIn(st.Error), asynq.SkipRetry)
}

func (p *Pipeline) step(ctx context.Context, m *sms.Message, st sms.Step, sid string) error {
	st.At = p.cfg.Now()
	if _, err := p.cfg.Store.AddStep(ctx, m.ID, st, sid); err != nil {
		return fmt.Errorf("message %s: record %s: %w", phone.MaskIn(m.ID), st.Status, err)
	}
	return nil
}

// wait holds a send until the account-wide rate allows it. The limit is a
// GCRA in Redis, shared by every worker of the installation.
func (p *Pipeline) wait(ctx context.Context) error {
	if p.cfg.Rate <= 0 {
		return nil
	}
	// A burst of a fifth of a second's worth absorbs the jitter of
	// workers waking from their waits, so the account keeps its pace; over
	// a minute it adds at most that burst to the count.
	limit := redis_rate.Limit{Rate: p.cfg.Rate, Burst: max(1, p.cfg.Rate/5), Period: time.Second}
	for {
		res, err := p.limiter.Allow(ctx, p.cfg.RateKey, limit)
		if err != nil {
			return fmt.Errorf("rate limit: %w", err)
		}
		if res.Allowed > 0 {
			return nil
		}
		select {
		case <-time.After(res.RetryAfter):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
