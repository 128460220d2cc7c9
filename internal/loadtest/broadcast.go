package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/gsm"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/redisstore"
)

// GoalBroadcast is the time from a broadcast's confirmation to every
// message queued, for 10,000 recipients.
const GoalBroadcast = 2 * time.Second

// BroadcastOptions shape `willay load broadcast`.
type BroadcastOptions struct {
	RedisURL       string
	Recipients     int
	Flows, Locales string // the texts
	Workers        int    // messages queued at once, as the service does (8)
	Out            io.Writer
}

// BroadcastReport is what a run measured.
type BroadcastReport struct {
	Prefix     string
	Queued     int
	Broadcast  time.Duration // confirmation to every message queued
	Floor      time.Duration // the same number of bare pipeline sends
	Ratio      float64       // Broadcast / Floor
	QueueTasks int           // tasks the broadcast added to the queue
	// TickCommands and TickRoundTrips are what one tick of the broadcast
	// loop (dispatch and the summary check) sends to Redis while the
	// broadcast's messages wait to leave: what every process pays every
	// 2 s for as long as they wait.
	TickCommands, TickRoundTrips int64
	Deleted, Left                int
}

// RunBroadcast seeds a group of recipients in three languages, then
// measures a staff broadcast to it from confirmation (Create) to every
// message in the queue (Dispatch), against a floor measured in the same
// run: as many bare pipeline sends (store the message, queue the task),
// from as many goroutines.
func RunBroadcast(ctx context.Context, o BroadcastOptions) (rep BroadcastReport, err error) {
	run, err := openQueueRun(ctx, o.RedisURL, o.Out)
	if err != nil {
		return rep, err
	}
	defer func() { rep.Deleted, rep.Left, err = run.close(err) }()
	be, prefix, queue := run.be, run.prefix, run.queue
	rep.Prefix = prefix
	if o.Workers <= 0 {
		o.Workers = 8
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := redisstore.New(be.client, prefix, redisstore.DefaultOptions(), nil)
	defer store.Close()
	p := outbound.New(outbound.Config{Redis: be.client, Queue: queue, Store: store, MaxRetry: 3, Log: quiet})
	defer p.Close()
	bundle, err := engine.LoadDirs(o.Flows, o.Locales)
	if err != nil {
		return rep, err
	}
	eng := engine.New(engine.Config{Store: store, Library: engine.NewLibrary(store, bundle),
		Screens: engine.Screens{Limits: gsm.DefaultLimits(), FoldAccents: true}, Log: quiet})
	svc := broadcast.New(broadcast.Config{Store: store, SMS: p, Texts: eng, Workers: o.Workers, Log: quiet})

	fmt.Fprintf(o.Out, "willay load broadcast: %d recipients, %d workers, redis %s\n", o.Recipients, o.Workers, be.describe())
	start := time.Now()
	if err := seedGroup(ctx, store, o.Recipients); err != nil {
		return rep, err
	}
	fmt.Fprintf(o.Out, "seeded the group in %s\n", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	if err := floorSends(ctx, p, o.Recipients, o.Workers); err != nil {
		return rep, err
	}
	rep.Floor = time.Since(start)

	b := &broadcast.Broadcast{By: "staff:load", ByName: "Oficina", Template: "meeting",
		Date: time.Now().AddDate(0, 0, 2).Format("2006-01-02"), Time: "15:00", Groups: []string{loadGroup}}
	before, err := queueTasks(be, queue)
	if err != nil {
		return rep, err
	}
	start = time.Now()
	if _, err := svc.Create(ctx, b); err != nil {
		return rep, err
	}
	if rep.Queued, err = svc.Dispatch(ctx); err != nil {
		return rep, err
	}
	rep.Broadcast = time.Since(start)
	rep.Ratio = rep.Broadcast.Seconds() / rep.Floor.Seconds()
	after, err := queueTasks(be, queue)
	if err != nil {
		return rep, err
	}
	rep.QueueTasks = after - before
	count := &commandCount{}
	be.client.AddHook(count)
	var tickErr error
	rep.TickCommands, rep.TickRoundTrips = count.measure(func() {
		if _, tickErr = svc.Dispatch(ctx); tickErr == nil {
			tickErr = svc.Settle(ctx)
		}
	})
	if tickErr != nil {
		return rep, tickErr
	}
	fmt.Fprintf(o.Out, "floor: %d bare pipeline sends in %s\n", o.Recipients, rep.Floor.Round(time.Millisecond))
	fmt.Fprintf(o.Out, "broadcast: confirmation to %d messages queued (%d tasks in the queue) in %s (goal < %s): %s\n",
		rep.Queued, rep.QueueTasks, rep.Broadcast.Round(time.Millisecond), GoalBroadcast, Met(rep.Broadcast < GoalBroadcast))
	fmt.Fprintf(o.Out, "ratio broadcast/floor: %.2f\n", rep.Ratio)
	fmt.Fprintf(o.Out, "one tick (dispatch + summary check) while the %d messages wait: %d Redis commands in %d round trips (%.4f commands a recipient)\n",
		rep.Queued, rep.TickCommands, rep.TickRoundTrips, float64(rep.TickCommands)/float64(max(1, rep.Queued)))
	return rep, nil
}

const loadGroup = "LOAD-01"

// seedGroup imports n participants of one group, in the three languages,
// with one coach.
func seedGroup(ctx context.Context, store *redisstore.Store, n int) error {
	if err := store.ApplyCoaches(ctx, []importer.CoachRow{{Phone: "+51989999999", Name: "Maximiliano Ccori", Language: "qu", Group: loadGroup}}); err != nil {
		return err
	}
	langs := []string{"es", "qu", "shp"}
	for from := 0; from < n; from += 1000 {
		rows := make([]importer.ParticipantRow, 0, 1000)
		for i := from; i < min(from+1000, n); i++ {
			rows = append(rows, importer.ParticipantRow{Phone: fmt.Sprintf("+5198%07d", i), Name: fmt.Sprint("Participante ", i),
				Language: langs[i%3], Community: "Ccasapata", District: "Yauli", Region: "Huancavelica", Group: loadGroup, Coach: "+51989999999"})
		}
		if err := store.ApplyParticipants(ctx, rows); err != nil {
			return err
		}
	}
	return nil
}

// floorSends queues n messages straight into the pipeline from workers
// goroutines: what a broadcast costs without reading its recipients or
// rendering its texts.
func floorSends(ctx context.Context, p *outbound.Pipeline, n, workers int) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if _, err := p.Send(ctx, outbound.Request{ID: fmt.Sprint("floor-", i), To: fmt.Sprintf("+5198%07d", i), Lang: "es",
					Text: "Willay: Reunion de su grupo el 29/11 a las 15:00. Le espera su yachachiq Maximiliano.", Kind: "broadcast"}); err != nil {
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

// queueTasks counts the tasks waiting in an asynq queue.
func queueTasks(be *backend, queue string) (int, error) {
	n, err := be.client.LLen(context.Background(), "asynq:{"+queue+"}:pending").Result()
	return int(n), err
}
