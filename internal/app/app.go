// Package app wires Willay together from its configuration: Redis (real or
// in-process), flows and texts, the engine and the HTTP server. Commands
// and tests build the service only through here.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/background"
	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/config"
	"github.com/willay-pe/willay/internal/demo"
	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/flow"
	"github.com/willay-pe/willay/internal/gsm"
	"github.com/willay-pe/willay/internal/inbound"
	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/redisstore"
	"github.com/willay-pe/willay/internal/scheduler"
	"github.com/willay-pe/willay/internal/server"
	"github.com/willay-pe/willay/internal/sms"
	"github.com/willay-pe/willay/internal/twilio"
	"github.com/willay-pe/willay/internal/ussd"
	"github.com/willay-pe/willay/internal/ussd/africastalking"
)

// App is a running Willay.
type App struct {
	Config    config.Config
	Handler   http.Handler
	Engine    *engine.Engine
	Store     *redisstore.Store
	Library   *engine.Library
	Redis     *redis.Client
	Log       *slog.Logger
	SMS       *outbound.Pipeline
	Reminders *scheduler.Scheduler
	// Broadcasts makes, sends and cancels broadcasts.
	Broadcasts *broadcast.Service
	// Now is the service's clock: the real one, or a test's.
	Now Now
	// Loops runs the background loops, recovering and counting panics.
	Loops *background.Loops
	// Inbound answers incoming SMS, and spools them while Redis is down.
	Inbound *inbound.Service
	mini    *miniredis.Miniredis
}

// Now is the clock, replaceable in tests.
type Now func() time.Time

// New builds the service. It refuses to start on flows with errors.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, now Now) (*App, error) {
	if now == nil {
		now = time.Now
	}
	a := &App{Config: cfg, Log: log, Now: now}
	if err := a.connect(ctx); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	a.Loops = background.New(reg, log)
	opts := redisstore.DefaultOptions()
	opts.SessionTTL = cfg.SessionTTL
	opts.Guard = a.Loops.Do
	a.Store = redisstore.New(a.Redis, cfg.Prefix, opts, now)
	if err := a.demoAllowed(ctx); err != nil { // before anything is written
		a.Close()
		return nil, err
	}
	if !cfg.Demo && cfg.RedisURL != "" {
		if err := a.Store.MarkReal(ctx); err != nil {
			a.Close()
			return nil, err
		}
	}
	b, err := a.loadChecked()
	if err != nil {
		a.Close()
		return nil, err
	}
	if a.SMS, err = a.pipeline(now); err != nil {
		a.Close()
		return nil, err
	}
	a.Library = engine.NewLibrary(a.Store, b)
	if err := a.Library.Publish(ctx, b); err != nil {
		a.Close()
		return nil, err
	}
	a.Broadcasts = broadcast.New(broadcast.Config{Store: a.Store, SMS: a.SMS, Location: cfg.TZ, Now: now,
		DailyLimit: cfg.BroadcastLimit, Grace: cfg.BroadcastGrace, Log: log})
	a.Broadcasts.Allowed = func(t time.Time) time.Time { return a.Library.Current().Reminders.NextAllowed(t) }
	a.Engine = engine.New(engine.Config{
		Store: a.Store, Library: a.Library, Actions: engine.Actions(), Screens: Screens(cfg),
		Location: cfg.TZ, Now: now, PINKey: cfg.PINKey, Log: log, SMS: messenger{a.SMS}, SMSPerDay: cfg.SMS.ReplyLimit, Broadcasts: a.Broadcasts,
	})
	a.Broadcasts.Texts = a.Engine // the engine renders texts; it needs the service for the coach menu
	failures := prometheus.NewCounter(prometheus.CounterOpts{Name: "willay_reminders_failed_total",
		Help: "Reminders whose dispatch failed; each stays due and is tried again at the next tick."})
	a.Reminders = scheduler.New(scheduler.Config{Store: a.Store, Engine: a.Engine, Location: cfg.TZ, Now: now, Log: log, Failures: failures})
	if cfg.Demo {
		if err := a.seedDemo(ctx, now().In(cfg.TZ)); err != nil {
			a.Close()
			return nil, err
		}
	}
	a.Inbound = inbound.New(inbound.Config{Store: a.Store, Subs: a.Store, Engine: a.Engine, SMS: messenger{a.SMS},
		Spool: inbound.NewSpool(cfg.SMS.SpoolDir), LoopLimit: cfg.SMS.LoopLimit, Log: log})
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newBacklog(a.Store), failures)
	a.Handler = server.New(server.Deps{
		Engine: a.Engine, Gateways: []ussd.Gateway{africastalking.Gateway{}}, Storage: a.Store,
		Log: log, Registry: reg, HopTimeout: cfg.HopTimeout,
		Guard: server.Guard{Secret: cfg.USSD.Secret, Allow: cfg.USSD.Allow}, TrustedProxies: cfg.USSD.TrustedProxies,
		SMS: &server.SMSDeps{AuthToken: cfg.Twilio.AuthToken, PublicURL: cfg.PublicURL, Store: a.Store,
			Inbound: a.Inbound, Now: now},
	})
	return a, nil
}

// Background starts, until ctx ends, the loops that send: reminders (with
// reminders on), broadcasts, and the requeuer of SMS stored but not queued.
// Each tick runs under Loops: a panic is logged and counted, and the loop
// goes on.
func (a *App) Background(ctx context.Context, reminders bool) {
	if reminders {
		go func() {
			a.Loops.Do("reminders_plan", func() { a.Reminders.PlanTick(ctx) })
			a.Loops.Every(ctx, "reminders_plan", time.Hour, a.Reminders.PlanTick)
		}()
		go a.Loops.Every(ctx, "reminders_dispatch", 10*time.Second, a.Reminders.DispatchTick)
	}
	go a.Loops.Every(ctx, "broadcasts", 2*time.Second, a.Broadcasts.Tick)
	go a.Loops.Every(ctx, "sms_requeue", 15*time.Second, a.SMS.RequeueTick)
}

// ReplaySpool replays, every 2 s, the incoming SMS spooled while Redis was
// down. Every serve runs it, worker or not: the spool is on its disk.
func (a *App) ReplaySpool(ctx context.Context) {
	go a.Loops.Every(ctx, "sms_spool", 2*time.Second, a.Inbound.Tick)
}

// pipeline builds the outgoing SMS pipeline over Twilio, or over the local
// outbox when no Twilio account is configured.
func (a *App) pipeline(now Now) (*outbound.Pipeline, error) {
	cfg := a.Config
	var sender sms.Sender = &outbound.Outbox{Redis: a.Redis, Key: a.Store.Keys().Outbox(), Log: a.Log, Now: now, ShowText: cfg.Demo}
	if cfg.Twilio.Enabled() {
		tw, err := twilio.New(twilio.Config{AccountSID: cfg.Twilio.AccountSID, AuthToken: cfg.Twilio.AuthToken,
			From: cfg.Twilio.From, MessagingServiceSID: cfg.Twilio.MessagingServiceSID, APIURL: cfg.Twilio.APIURL,
			StatusCallback: cfg.PublicURL + "/sms/twilio/status"})
		if err != nil {
			return nil, err
		}
		sender = tw
	}
	keys := a.Store.Keys()
	return outbound.New(outbound.Config{Redis: a.Redis, Queue: keys.Queue(), RateKey: keys.SMSRate(), Store: a.Store,
		Sender: sender, Rate: cfg.SMS.Rate, Concurrency: cfg.SMS.Concurrency, MaxRetry: cfg.SMS.MaxRetry,
		FoldAccents: cfg.FoldAccents, Now: now, Log: a.Log}), nil
}

// messenger lets engine actions queue SMS.
type messenger struct{ p *outbound.Pipeline }

func (m messenger) Send(ctx context.Context, msg engine.Message) error {
	_, err := m.p.Send(ctx, outbound.Request{ID: msg.ID, To: msg.To, Lang: msg.Lang, Text: msg.Text, Kind: msg.Kind, Exempt: msg.Exempt,
		Quota: msg.Quota})
	return err
}

// Screens is how texts are fitted, from the configuration.
func Screens(cfg config.Config) engine.Screens {
	return engine.Screens{Limits: gsm.Limits{GSM7: cfg.ScreenGSM7, UCS2: cfg.ScreenUCS2}, FoldAccents: cfg.FoldAccents}
}

// connect opens REDIS_URL, or an in-process Redis when it is empty. The
// timeouts are short so that a Redis that went away costs a phone one
// "busy" screen, not a hang.
func (a *App) connect(ctx context.Context) error {
	url := a.Config.RedisURL
	if url == "" {
		a.mini = miniredis.NewMiniRedis()
		if err := a.mini.Start(); err != nil {
			return fmt.Errorf("in-process redis: %w", err)
		}
		url = "redis://" + a.mini.Addr()
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
	opt.MaxRetries = 1
	opt.ContextTimeoutEnabled = true
	a.Redis = redis.NewClient(opt)
	if err := a.Redis.Ping(ctx).Err(); err != nil {
		a.Close()
		return fmt.Errorf("redis at %s: %w", redactURL(url), err)
	}
	return nil
}

func redactURL(u string) string {
	if at := strings.LastIndex(u, "@"); at > 0 {
		if i := strings.Index(u, "://"); i > 0 {
			return u[:i+3] + "***" + u[at:]
		}
	}
	return u
}

// Refusals of demo mode over a real Redis: made-up people must not mix
// with real ones, and real PINs must not be keyed with the public key.
const (
	ErrDemoPINKey = "WILLAY_DEMO=true with a REDIS_URL would key PINs with the public demo key: " +
		"set WILLAY_PIN_KEY (`openssl rand -hex 32`), or leave REDIS_URL empty for an in-process demo"
	ErrDemoNotEmpty = "WILLAY_DEMO=true would add made-up people to the Redis at REDIS_URL, which already holds data under %q: " +
		"for a demo, set WILLAY_REDIS_PREFIX to an unused prefix; for real data, set WILLAY_DEMO=false"
)

// demoAllowed tells whether demo mode may seed: always into an in-process
// Redis; into a real one only under a prefix that is unused or a demo's
// (see redisstore.DemoAllowed), with a PIN key of the installation's own.
func (a *App) demoAllowed(ctx context.Context) error {
	if !a.Config.Demo || a.Config.RedisURL == "" {
		return nil
	}
	if a.Config.DemoPINKey() {
		return errors.New(ErrDemoPINKey)
	}
	ok, err := a.Store.DemoAllowed(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if !ok {
		return fmt.Errorf(ErrDemoNotEmpty, a.Config.Prefix)
	}
	return nil
}

// seedDemo writes the demo people and marks the prefix as a demo's.
func (a *App) seedDemo(ctx context.Context, now time.Time) error {
	if err := demo.Seed(ctx, a.Store, now); err != nil {
		return err
	}
	return a.Store.MarkDemo(ctx)
}

// loadChecked loads flows and texts and refuses any with errors.
func (a *App) loadChecked() (*engine.Bundle, error) {
	b, err := engine.LoadDirs(a.Config.Flows, a.Config.Locales)
	if err != nil {
		return nil, err
	}
	var errs []string
	for _, p := range engine.Check(b, engine.Actions(), Screens(a.Config)) {
		if p.Severity == flow.Error {
			errs = append(errs, p.String())
		} else {
			a.Log.Warn("flows check", "problem", p.String())
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("flows have %d errors (run `willay flows check`):\n%s", len(errs), strings.Join(errs, "\n"))
	}
	return b, nil
}

// Reload reads flows and texts again; new sessions start on them, running
// sessions finish on the version they began. Bad flows are refused and
// the running version stays.
func (a *App) Reload(ctx context.Context) error {
	b, err := a.loadChecked()
	if err != nil {
		return err
	}
	return a.Library.Publish(ctx, b)
}

// Close releases Redis.
func (a *App) Close() {
	if a.SMS != nil {
		_ = a.SMS.Close()
	}
	if a.Store != nil {
		a.Store.Close()
	}
	if a.Redis != nil {
		_ = a.Redis.Close()
	}
	if a.mini != nil {
		a.mini.Close()
	}
}
