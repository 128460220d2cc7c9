// Package engine owns a USSD conversation: it takes a hop (what the person
// typed so far), moves their session through the flows, runs actions and
// renders the next screen in their language, paginated to fit a phone.
// It touches storage only through the Store interface.
package engine

import (
	"context"
	"time"

	"github.com/willay-pe/willay/internal/program"
	"github.com/willay-pe/willay/internal/sms"
)

// Hop is one request of a USSD gateway, whatever its wire format.
type Hop struct {
	Gateway     string
	SessionID   string
	Phone       string // E.164
	ServiceCode string
	Network     string
	// Inputs is every input of the session so far, oldest first, as
	// Africa's Talking sends it.
	Inputs []string
	// Seq is for gateways that send only the latest input (Hubtel,
	// Infobip): Inputs then holds that one input and Seq its number in
	// the session, 1 for the first thing typed. 0 for whole-path gateways.
	Seq int
}

// Reply is the screen to show, and whether the session ends with it.
type Reply struct {
	Text string
	End  bool
	Lang string // the catalog language it was rendered in
	Node string // flow/node, for metrics
}

// Session is the state kept between hops. Its JSON is what Redis holds.
type Session struct {
	ID      string            `json:"id"`
	Phone   string            `json:"ph"`
	Version string            `json:"v"`
	Flow    string            `json:"f"`
	Node    string            `json:"n"`
	Page    int               `json:"pg,omitempty"`
	Stack   []string          `json:"st,omitempty"` // menus to go back to
	Vars    map[string]string `json:"vr,omitempty"`
	// Ins has one keyed hash per input answered so far: enough to tell a
	// repeated or late hop from a new one, without keeping PINs typed.
	Ins     []string  `json:"in,omitempty"`
	Reply   string    `json:"r"` // the last reply, for repeated requests
	End     bool      `json:"e,omitempty"`
	Started time.Time `json:"t"`
}

// Store is what the engine needs from storage.
type Store interface {
	// Load reads a session (nil when there is none) and the person behind
	// a phone in one round trip.
	Load(ctx context.Context, sessionID, phone string) (*Session, *program.Person, error)
	Save(ctx context.Context, s *Session) error
	Effects
}

// Effects are the writes actions make. Each that must happen once per hop
// takes a once key: the same key never applies twice.
type Effects interface {
	// SetPIN sets a first PIN, atomically checking that none is set and
	// no lock holds: OK when this PIN is now the one (also when it was
	// already), LockedFor when the savings are locked, neither when
	// another PIN is set.
	SetPIN(ctx context.Context, phone, hash string) (PINCheck, error)
	VerifyPIN(ctx context.Context, phone, hash, once string) (PINCheck, error)
	RequestCallback(ctx context.Context, p *program.Person, at time.Time, once string) (created bool, err error)
	SetLanguage(ctx context.Context, p *program.Person, lang string) error
	CoachAgenda(ctx context.Context, groups []string) ([]program.Event, error)
	Callbacks(ctx context.Context, coach string) ([]program.Callback, error)
}

// Message is an SMS an action sends, through whatever pipeline the
// service has. ID makes it idempotent.
type Message struct {
	ID, To, Lang, Text, Kind string
	Exempt                   bool // reaches people who opted out: replies to their own requests
	// Quota, when set, limits such messages to To a day; over it Send
	// returns sms.ErrOverQuota.
	Quota sms.Quota
}

// Messenger queues SMS.
type Messenger interface {
	Send(ctx context.Context, m Message) error
}

// PINCheck is the result of a PIN attempt.
type PINCheck struct {
	OK        bool
	Left      int           // tries left before the lock, after a wrong PIN
	LockedFor time.Duration // > 0 when the savings screen is locked
}
