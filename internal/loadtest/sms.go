package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/twilio"
	"github.com/willay-pe/willay/internal/twiliotest"
)

// SMSOptions shape `willay load sms`.
type SMSOptions struct {
	RedisURL    string
	Messages    int           // messages to drain when Rate is 0
	Rate        int           // messages per second to hold; 0 measures the top speed
	Duration    time.Duration // the measured window when Rate > 0
	Concurrency int           // sends in flight in the worker
	Out         io.Writer
}

// SMSReport is what a run measured.
type SMSReport struct {
	Sent     int
	PerSec   float64
	Deviance float64 // with a rate: (measured - rate) / rate
}

// RunSMS drives the real outgoing pipeline (Redis store, asynq queue,
// twilio-go) into a fake Twilio on loopback.
func RunSMS(ctx context.Context, o SMSOptions) (rep SMSReport, err error) {
	run, err := openQueueRun(ctx, o.RedisURL, o.Out)
	if err != nil {
		return rep, err
	}
	defer func() { _, _, err = run.close(err) }()
	be, prefix, queue := run.be, run.prefix, run.queue
	fake := twiliotest.Start(twiliotest.Options{})
	defer fake.Close()
	p, closeP, err := smsPipeline(be, prefix, queue, fake, o)
	if err != nil {
		return rep, err
	}
	defer closeP()
	n := o.Messages
	if o.Rate > 0 {
		n = o.Rate * int((o.Duration + 15*time.Second).Seconds())
	}
	fmt.Fprintf(o.Out, "willay load sms: %d messages, concurrency %d, rate %s, redis %s, fake Twilio %s\n",
		n, o.Concurrency, rateText(o.Rate), be.describe(), fake.URL())
	start := time.Now()
	if err := enqueue(ctx, p, n); err != nil {
		return rep, err
	}
	fmt.Fprintf(o.Out, "queued %d in %s (%.0f/s)\n", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = p.Run(wctx); close(done) }()
	defer func() { stop(); <-done }()
	if o.Rate > 0 {
		return measureRate(ctx, fake, o)
	}
	return measureDrain(ctx, fake, n, o.Out)
}

func rateText(r int) string {
	if r == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%d/s", r)
}

func smsPipeline(be *backend, prefix, queue string, fake *twiliotest.Server, o SMSOptions) (*outbound.Pipeline, func(), error) {
	store := redisstore.New(be.client, prefix, redisstore.DefaultOptions(), nil)
	tw, err := twilio.New(twilio.Config{AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(), From: "+15005550006", APIURL: fake.URL()})
	if err != nil {
		return nil, nil, err
	}
	p := outbound.New(outbound.Config{Redis: be.client, Queue: queue, RateKey: prefix + "rate", Store: store, Sender: tw,
		Rate: o.Rate, Concurrency: o.Concurrency, MaxRetry: 3, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return p, func() { _ = p.Close(); store.Close() }, nil
}

// enqueue queues n messages from 16 goroutines, as many callers would.
func enqueue(ctx context.Context, p *outbound.Pipeline, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				if _, err := p.Send(ctx, outbound.Request{ID: fmt.Sprint("load-", i), To: "+51900000001", Lang: "es",
					Text: fmt.Sprint("Willay: mensaje de prueba ", i), Kind: "oneoff"}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// measureDrain times how long the worker takes to send everything queued.
func measureDrain(ctx context.Context, fake *twiliotest.Server, n int, out io.Writer) (SMSReport, error) {
	start := time.Now()
	for fake.Count() < n {
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return SMSReport{}, err
		}
		if time.Since(start) > 10*time.Minute {
			return SMSReport{}, fmt.Errorf("only %d of %d sent after 10 minutes", fake.Count(), n)
		}
	}
	d := time.Since(start)
	rep := SMSReport{Sent: fake.Count(), PerSec: float64(n) / d.Seconds()}
	fmt.Fprintf(out, "sent %d to the fake Twilio in %s: %.0f messages/s (goal >= 2000): %s\n", n, d.Round(time.Millisecond), rep.PerSec, Met(rep.PerSec >= 2000))
	return rep, nil
}

// measureRate counts sends in a window after a warm-up.
func measureRate(ctx context.Context, fake *twiliotest.Server, o SMSOptions) (SMSReport, error) {
	if err := sleep(ctx, 5*time.Second); err != nil {
		return SMSReport{}, err
	}
	from, start := fake.Count(), time.Now()
	if err := sleep(ctx, o.Duration); err != nil {
		return SMSReport{}, err
	}
	sent, d := fake.Count()-from, time.Since(start)
	rep := SMSReport{Sent: sent, PerSec: float64(sent) / d.Seconds()}
	rep.Deviance = (rep.PerSec - float64(o.Rate)) / float64(o.Rate)
	fmt.Fprintf(o.Out, "sent %d in %s: %.2f messages/s against a limit of %d/s: %+.2f%% (goal within ±5%%): %s\n",
		sent, d.Round(time.Millisecond), rep.PerSec, o.Rate, 100*rep.Deviance, Met(rep.Deviance >= -0.05 && rep.Deviance <= 0.05))
	return rep, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// queueRun is a load run with its own key prefix and SMS queue.
type queueRun struct {
	be            *backend
	prefix, queue string
	out           io.Writer
}

func openQueueRun(ctx context.Context, url string, out io.Writer) (*queueRun, error) {
	be, err := openRedis(ctx, url)
	if err != nil {
		return nil, err
	}
	if be.note != "" {
		fmt.Fprintln(out, "note:", be.note)
	}
	prefix := newPrefix()
	return &queueRun{be: be, prefix: prefix, queue: prefix + "sms", out: out}, nil
}

// close deletes the run's keys and queue, and reports runErr or what
// failed in the clean-up.
func (r *queueRun) close(runErr error) (deleted, left int, err error) {
	defer r.be.close()
	deleted, left, err = cleanUp(r.out, r.be, r.prefix, runErr)
	n, qerr := deleteQueue(r.be, r.queue)
	fmt.Fprintf(r.out, "clean-up: deleted %d asynq keys of queue %s (%v)\n", n, r.queue, qerr)
	return deleted, left, err
}

// deleteQueue removes asynq's keys for the run's queue, which asynq names
// itself, outside the run's prefix.
func deleteQueue(be *backend, queue string) (int, error) {
	ctx := context.Background()
	n := 0
	iter := be.client.Scan(ctx, 0, "asynq:{"+queue+"}*", 10000).Iterator()
	for iter.Next(ctx) {
		be.client.Unlink(ctx, iter.Val())
		n++
	}
	be.client.SRem(ctx, "asynq:queues", queue)
	return n, iter.Err()
}
