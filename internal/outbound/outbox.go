package outbound

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/phone"
)

// Outbox is the provider used when no Twilio credentials are set: it keeps
// what would have been sent in a Redis list and logs it, so that `make run`
// shows every message and `willay sms log` tracks it like any other.
type Outbox struct {
	Redis redis.UniversalClient
	Key   string
	Log   *slog.Logger
	Now   func() time.Time
	// ShowText logs each message's text: only for the demo's made-up
	// people. A real message can hold a balance, so elsewhere the log
	// says only who (masked) and how long; `willay sms log` shows it.
	ShowText bool
}

// outboxKeep bounds the list: it is for looking, not for archives.
const outboxKeep = 10_000

// OutboxEntry is one message in the outbox.
type OutboxEntry struct {
	SID  string    `json:"sid"`
	To   string    `json:"to"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Send implements sms.Sender.
func (o *Outbox) Send(ctx context.Context, to, text string) (string, error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	e := OutboxEntry{SID: "OB" + hex.EncodeToString(b), To: to, Text: text, At: o.Now()}
	js, _ := json.Marshal(e)
	_, err := o.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, o.Key, js)
		p.LTrim(ctx, o.Key, 0, outboxKeep-1)
		return nil
	})
	if err != nil {
		return "", err
	}
	if o.ShowText {
		o.Log.Info("sms to outbox", "to", phone.Mask(to), "text", text)
	} else {
		o.Log.Info("sms to outbox", "to", phone.Mask(to), "chars", len([]rune(text)))
	}
	return e.SID, nil
}
