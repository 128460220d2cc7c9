// Package inbound owns where an SMS comes in. Each incoming message is
// answered once: its identity is the sender and the provider's message
// ID, and a repeat of it gets the first answer and changes nothing. The
// loop guard applies before the engine reads it. When storage cannot take
// a message, it is kept in a spool on disk and answered by SMS once storage
// is back: nothing a participant sends is lost.
//
// A provider's webhook (internal/server/sms.go for Twilio) turns its
// request into an sms.Incoming and calls Receive.
package inbound

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/sms"
)

// Store admits incoming messages and keeps their answers.
type Store interface {
	BeginInbound(ctx context.Context, phone, sid string, perMinute int, at time.Time) (sms.Admission, sms.Answer, error)
	KeepAnswer(ctx context.Context, phone, sid string, a sms.Answer) (sms.Answer, error)
	Ping(ctx context.Context) error
}

// Engine answers a message.
type Engine interface {
	ReplySMS(ctx context.Context, from, body, msgID string, subs engine.Subscriptions) (engine.SMSReply, error)
	Notice(ctx context.Context, phone, id string) string
}

// Config is what the service depends on.
type Config struct {
	Store     Store
	Subs      engine.Subscriptions
	Engine    Engine
	SMS       engine.Messenger // sends the answers of replayed messages
	Spool     *Spool
	LoopLimit int           // messages a minute before a number is muted
	Timeout   time.Duration // storage must answer within it, or the message is spooled
	Log       *slog.Logger
}

// Service receives incoming messages.
type Service struct{ cfg Config }

// New builds the service.
func New(c Config) *Service {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Service{cfg: c}
}

// Result is what to answer the webhook, and how it went.
type Result struct {
	Text string // the reply; "" for none
	// Outcome labels willay_sms_inbound_total: the language answered in,
	// or repeat, loop, muted, spooled.
	Outcome string
}

// Receive answers a message that just came in. When storage fails, the
// message is spooled and its answer will go out by SMS: Result is then
// empty. An error means the message could not even be spooled.
func (s *Service) Receive(ctx context.Context, in sms.Incoming) (Result, error) {
	if !s.cfg.Spool.Pending() {
		tctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		res, _, err := s.answer(tctx, in, false)
		cancel()
		if err == nil {
			return res, nil
		}
		s.cfg.Log.Error("sms in: storage failed, spooling the message", "phone", phone.Mask(in.From), "sid", in.SID, "err", err)
	}
	if err := s.cfg.Spool.Append(in); err != nil {
		return Result{}, fmt.Errorf("message %s: %w", in.SID, err)
	}
	return Result{Outcome: "spooled"}, nil
}

// answer admits a message and answers it, once. The answer of a replayed
// message goes out by SMS: it comes back with send set.
func (s *Service) answer(ctx context.Context, in sms.Incoming, replayed bool) (res Result, send *sms.Answer, err error) {
	adm, ans, err := s.cfg.Store.BeginInbound(ctx, in.From, in.SID, s.cfg.LoopLimit, in.At)
	if err != nil {
		return Result{}, nil, err
	}
	switch adm {
	case sms.Muted:
		return Result{Outcome: "muted"}, nil, nil
	case sms.WarnLoop:
		ans = sms.Answer{Text: s.cfg.Engine.Notice(ctx, in.From, "sms.loop"), BySMS: replayed}
		res.Outcome = "loop"
	case sms.Repeat:
		res.Outcome = "repeat"
	case sms.Admit:
		reply, err := s.cfg.Engine.ReplySMS(ctx, in.From, in.Body, in.SID, s.cfg.Subs)
		if err != nil {
			return Result{}, nil, err
		}
		if ans, err = s.cfg.Store.KeepAnswer(ctx, in.From, in.SID, sms.Answer{Text: reply.Text, Lang: reply.Lang, BySMS: replayed}); err != nil {
			return Result{}, nil, err
		}
		res.Outcome = reply.Lang
	}
	if ans.BySMS {
		// Answered, or to be answered, by a message of its own: a webhook
		// repeating it gets no second answer.
		return res, &ans, nil
	}
	if !replayed {
		res.Text = ans.Text
	}
	return res, nil, nil
}

// Tick replays the spool once (see Replay); a storage error is logged, and
// the messages wait for the next tick.
func (s *Service) Tick(ctx context.Context) {
	if err := s.Replay(ctx); err != nil {
		s.cfg.Log.Warn("sms spool: replay stopped, it goes on when storage answers", "err", err)
	}
}

// Replay answers the spooled messages in the order they came, each once,
// and sends the answers by SMS. It stops, keeping the rest, when storage
// fails; a message that fails while storage answers is rejected (kept in
// the spool's rejected.jsonl and logged), so that it cannot hold up the
// others.
func (s *Service) Replay(ctx context.Context) error {
	if !s.cfg.Spool.Pending() {
		return nil
	}
	n := 0
	err := s.cfg.Spool.Drain(func(in sms.Incoming) error {
		err := s.replayOne(ctx, in)
		if err == nil {
			n++
		}
		return err
	}, func(r Rejected) {
		s.cfg.Log.Error("sms spool: a line could not be replayed; it is kept in rejected.jsonl",
			"dir", s.cfg.Spool.dir, "file", r.File, "line", r.Line, "reason", r.Reason)
	})
	if n > 0 {
		s.cfg.Log.Info("sms spool: replayed", "messages", n)
	}
	return err
}

func (s *Service) replayOne(ctx context.Context, in sms.Incoming) (err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = Reject(fmt.Errorf("panic: %v", p))
		}
	}()
	_, ans, err := s.answer(ctx, in, true)
	if err == nil && ans != nil && ans.Text != "" {
		err = s.cfg.SMS.Send(ctx, engine.Message{ID: "smsin:" + in.From + ":" + in.SID, To: in.From, Lang: ans.Lang,
			Text: ans.Text, Kind: "reply", Exempt: true})
	}
	if err == nil {
		return nil
	}
	if perr := s.cfg.Store.Ping(ctx); perr != nil {
		return err // storage is down: keep the message for the next replay
	}
	return Reject(err)
}

// Spool is where messages wait while storage is down.
func (s *Service) Spool() *Spool { return s.cfg.Spool }
