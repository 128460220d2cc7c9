package broadcast

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/willay-pe/willay/internal/outbound"
	"github.com/willay-pe/willay/internal/phone"
	"github.com/willay-pe/willay/internal/sms"
)

// Recipient is who a broadcast reaches.
type Recipient struct {
	Phone, Name, Lang string
	Coach, CoachName  string // their coach's phone and name
}

// Store keeps broadcasts and finds their recipients.
type Store interface {
	// Members lists the phones of the groups' participants, each once.
	Members(ctx context.Context, groups []string) ([]string, error)
	// Where lists the phones of participants living in any of the
	// communities or districts (reads every participant).
	Where(ctx context.Context, communities, districts []string) ([]string, error)
	// People reads recipients' names and languages, in order; a phone no
	// longer registered comes back with no language.
	People(ctx context.Context, phones []string) ([]Recipient, error)
	// CreateBroadcast stores b with its recipients, scheduled at b.At. A
	// second call with the same ID changes nothing and returns false.
	// With limit > 0 it refuses (ErrLimit) when b.By has made that many
	// broadcasts on day.
	CreateBroadcast(ctx context.Context, b *Broadcast, recipients []string, limit int, day string) (bool, error)
	Broadcast(ctx context.Context, id string) (*Broadcast, error) // nil when none
	Recipients(ctx context.Context, id string, from, n int64) ([]string, error)
	// ClaimBroadcast takes one broadcast due at now for queueing, for
	// lease: if the claimer dies, another takes it after the lease.
	ClaimBroadcast(ctx context.Context, now time.Time, lease time.Duration) (string, error)
	// Progress records that the first cursor recipients are queued, and
	// holds the claim until the lease's new end.
	Progress(ctx context.Context, id string, cursor int64, until time.Time) error
	MarkQueued(ctx context.Context, id string, now time.Time) error
	// Open lists broadcasts queued and not yet summed up.
	Open(ctx context.Context) ([]string, error)
	MarkDone(ctx context.Context, id string) error
	// CancelBroadcast cancels a scheduled broadcast, made on day (it no
	// longer counts toward that day's limit): false when it has started
	// sending (or is over).
	CancelBroadcast(ctx context.Context, b *Broadcast, day string) (bool, error)
	BroadcastsBy(ctx context.Context, by string, n int64) ([]*Broadcast, error)
	SentOn(ctx context.Context, by, day string) (int, error)
	// MessageStatuses reads the status of messages ("" when not queued).
	MessageStatuses(ctx context.Context, ids []string) ([]sms.Status, error)
}

// Sender queues one SMS (the outbound pipeline).
type Sender interface {
	Send(ctx context.Context, r outbound.Request) (*sms.Message, error)
}

// Texts renders messages of locales/ for SMS.
type Texts interface {
	SMSText(lang, id string, vars map[string]any) string
	Resolve(lang string) string // the catalog language a person's language reads in
}

// Config is what the service depends on.
type Config struct {
	Store    Store
	SMS      Sender
	Texts    Texts
	Location *time.Location
	Now      func() time.Time
	// DailyLimit is how many broadcasts a coach may make in a day (3).
	DailyLimit int
	// Grace is how long a coach's broadcast waits before sending, so that
	// a mistaken one can be cancelled from the menu (2 minutes).
	Grace time.Duration
	// Lease is how long a dispatcher holds a broadcast it queues before
	// another may take it over (5 minutes).
	Lease time.Duration
	// MaxWait is how long the summary waits for messages still being
	// retried (2 hours); they are then counted as not reached.
	MaxWait time.Duration
	Workers int // messages queued at once (8)
	// Page is how many recipients are read and queued together (1000).
	Page int
	// Allowed moves a sending time out of the quiet hours (the reminder
	// rules' window); nil leaves it.
	Allowed func(time.Time) time.Time
	Log     *slog.Logger
}

// Service makes, sends, cancels and reports broadcasts.
type Service struct{ Config }

// New builds a service.
func New(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.DailyLimit == 0 {
		c.DailyLimit = 3
	}
	if c.Grace == 0 {
		c.Grace = 2 * time.Minute
	}
	if c.Lease == 0 {
		c.Lease = 5 * time.Minute
	}
	if c.MaxWait == 0 {
		c.MaxWait = 2 * time.Hour
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.Page <= 0 {
		c.Page = page
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Service{c}
}

// Recipients lists who b reaches now.
func (s *Service) Recipients(ctx context.Context, b *Broadcast) ([]string, error) {
	phones, err := s.Store.Members(ctx, b.Groups)
	if err != nil {
		return nil, err
	}
	if len(b.Communities)+len(b.Districts) > 0 {
		more, err := s.Store.Where(ctx, b.Communities, b.Districts)
		if err != nil {
			return nil, err
		}
		phones = append(phones, more...)
		slices.Sort(phones)
		phones = slices.Compact(phones)
	}
	return phones, nil
}

// Text is what b says to someone reading lang; "" when a free broadcast
// has no text for that language and no fallback. A template names its
// sender as the coach.
func (s *Service) Text(b *Broadcast, lang string) string { return s.render(b, lang, b.ByName) }

// TextFor is what b says to r: a staff broadcast from a template names
// each recipient's own coach.
func (s *Service) TextFor(b *Broadcast, r Recipient) string {
	coach := b.ByName
	if !b.Coach() && r.CoachName != "" {
		coach = r.CoachName
	}
	return s.render(b, r.Lang, coach)
}

func (s *Service) render(b *Broadcast, lang, coach string) string {
	lang = s.Texts.Resolve(lang)
	if b.Template == "" {
		if t := b.Texts[lang]; t != "" {
			return t
		}
		if b.Fallback {
			return b.Texts["es"]
		}
		return ""
	}
	t, _ := TemplateByID(b.Template)
	vars := map[string]any{"Coach": firstName(coach), "Time": b.Time}
	if d, err := time.Parse("2006-01-02", b.Date); err == nil {
		vars["Date"] = d.Format("02/01")
	}
	return s.Texts.SMSText(lang, t.Text, vars)
}

// Create checks and stores a broadcast. b.ID may be set (an idempotency
// key: the same ID creates one broadcast); b.At zero means now, plus the
// grace period for a coach. It returns the number of recipients.
func (s *Service) Create(ctx context.Context, b *Broadcast) (int, error) {
	now := s.Now()
	if b.ID == "" {
		b.ID = NewID()
	}
	if err := checkWhat(b); err != nil {
		return 0, err
	}
	if prev, err := s.Store.Broadcast(ctx, b.ID); err != nil || prev != nil {
		if prev != nil {
			*b = *prev
			return prev.Count, nil
		}
		return 0, err
	}
	phones, err := s.Recipients(ctx, b)
	if err != nil {
		return 0, err
	}
	if len(phones) == 0 {
		return 0, ErrNoRecipients
	}
	if b.Template == "" {
		if err := s.checkLanguages(ctx, b, phones); err != nil {
			return 0, err
		}
	}
	b.Created, b.Count = now, len(phones)
	if b.At.IsZero() {
		b.At = now
		if b.Coach() {
			b.At = now.Add(s.Grace)
		}
	}
	if s.Allowed != nil {
		b.At = s.Allowed(b.At.In(s.Location))
	}
	limit := 0
	if b.Coach() {
		limit = s.DailyLimit
	}
	created, err := s.Store.CreateBroadcast(ctx, b, phones, limit, s.day(now))
	if err != nil {
		return 0, err
	}
	if !created { // made meanwhile by a repeat of the same request
		if prev, err := s.Store.Broadcast(ctx, b.ID); err == nil && prev != nil {
			*b = *prev
		}
	}
	s.Log.Info("broadcast created", "id", b.ID, "by", sender(b.By), "recipients", b.Count, "at", b.At)
	return b.Count, nil
}

// sender names who made a broadcast for the log: a coach's phone masked,
// a staff name (from the command line) as it is.
func sender(by string) string {
	if strings.HasPrefix(by, "staff:") {
		return by
	}
	return phone.Mask(by)
}

// MaxText is the longest free text, in characters: what Twilio takes in
// one message (10 segments of GSM-7).
const MaxText = 1600

// checkWhat refuses an unknown template, and free texts that are empty or
// longer than one message can be.
func checkWhat(b *Broadcast) error {
	if b.Template != "" {
		if _, ok := TemplateByID(b.Template); !ok {
			return fmt.Errorf("unknown template %q", b.Template)
		}
		return nil
	}
	for lang, t := range b.Texts {
		b.Texts[lang] = strings.TrimSpace(t)
		if n := utf8.RuneCountInString(b.Texts[lang]); n > MaxText {
			return fmt.Errorf("the %s text has %d characters: at most %d", lang, n, MaxText)
		}
		if b.Texts[lang] == "" {
			delete(b.Texts, lang)
		}
	}
	if len(b.Texts) == 0 {
		return errors.New("nothing to send: no template and no text")
	}
	return nil
}

// checkLanguages refuses a free broadcast that would leave recipients out
// silently: every language needs a text unless Spanish fallback is chosen.
func (s *Service) checkLanguages(ctx context.Context, b *Broadcast, phones []string) error {
	if b.Texts["es"] == "" && b.Fallback {
		return errors.New("the Spanish fallback needs a Spanish text (--text-es)")
	}
	missing := map[string]int{}
	for i := 0; i < len(phones); i += page {
		people, err := s.Store.People(ctx, phones[i:min(i+page, len(phones))])
		if err != nil {
			return err
		}
		for _, p := range people {
			if p.Lang != "" && s.Text(b, p.Lang) == "" {
				missing[s.Texts.Resolve(p.Lang)]++
			}
		}
	}
	if len(missing) > 0 {
		return &LangError{Counts: missing}
	}
	return nil
}

// SentToday is how many broadcasts by has made today, and the limit.
func (s *Service) SentToday(ctx context.Context, by string) (n, limit int, err error) {
	n, err = s.Store.SentOn(ctx, by, s.day(s.Now()))
	return n, s.DailyLimit, err
}

func (s *Service) day(t time.Time) string { return t.In(s.Location).Format("20060102") }

// Cancel stops a scheduled broadcast. by is the coach asking (only their
// own), or "" for staff.
func (s *Service) Cancel(ctx context.Context, id, by string) error {
	b, err := s.Store.Broadcast(ctx, id)
	switch {
	case err != nil:
		return err
	case b == nil:
		return ErrNotFound
	case by != "" && b.By != by:
		return ErrNotYours
	case b.Status == Cancelled:
		return nil
	}
	ok, err := s.Store.CancelBroadcast(ctx, b, s.day(b.Created))
	if err == nil && !ok {
		return ErrStarted
	}
	if err == nil {
		s.Log.Info("broadcast cancelled", "id", id, "by", sender(by))
	}
	return err
}

// Mine lists a sender's latest broadcasts, newest first.
func (s *Service) Mine(ctx context.Context, by string, n int) ([]*Broadcast, error) {
	return s.Store.BroadcastsBy(ctx, by, int64(n))
}

// NewID is a fresh broadcast ID, short enough to type.
func NewID() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// page bounds the recipients read together.
const page = 1000

// MessageID is the idempotency key of a broadcast's message to phone: a
// broadcast queued twice (after a crash) sends each message once.
func MessageID(id, phone string) string { return "bc:" + id + ":" + phone }

// Dispatch queues every broadcast that is due, and returns how many
// messages it queued.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	total := 0
	for {
		id, err := s.Store.ClaimBroadcast(ctx, s.Now(), s.Lease)
		if err != nil || id == "" {
			return total, err
		}
		n, err := s.queue(ctx, id)
		total += n
		if err != nil {
			return total, fmt.Errorf("broadcast %s: %w", id, err)
		}
	}
}

// queue hands every message of a broadcast to the pipeline, a page of
// recipients at a time, several at once. Each text is rendered once per
// language and coach. After each page the cursor moves and the claim is
// renewed: a large broadcast is never taken over while it is being queued,
// and one taken over after a crash resumes at the cursor.
func (s *Service) queue(ctx context.Context, id string) (int, error) {
	b, err := s.Store.Broadcast(ctx, id)
	if err != nil || b == nil {
		return 0, err
	}
	start := s.Now()
	texts := map[string]string{}
	queued := 0
	for from := b.Cursor; ; {
		phones, err := s.Store.Recipients(ctx, id, from, int64(s.Page))
		if err != nil {
			return queued, err
		}
		people, err := s.Store.People(ctx, phones)
		if err != nil {
			return queued, err
		}
		var reqs []outbound.Request
		for _, p := range people {
			if p.Lang == "" { // no longer registered
				continue
			}
			lang := s.Texts.Resolve(p.Lang)
			key := lang + "|" + p.CoachName
			text, ok := texts[key]
			if !ok {
				text = s.TextFor(b, p)
				texts[key] = text
			}
			if text == "" {
				continue // no text in their language: listed as not reached
			}
			reqs = append(reqs, outbound.Request{ID: MessageID(id, p.Phone), To: p.Phone, Lang: lang, Text: text, Kind: "broadcast", Broadcast: id})
		}
		if err := s.sendAll(ctx, reqs); err != nil {
			return queued, err
		}
		queued += len(reqs)
		if len(phones) < s.Page {
			break
		}
		from += int64(len(phones))
		if err := s.Store.Progress(ctx, id, from, s.Now().Add(s.Lease)); err != nil {
			return queued, err
		}
	}
	if err := s.Store.MarkQueued(ctx, id, s.Now()); err != nil {
		return queued, err
	}
	s.Log.Info("broadcast queued", "id", id, "messages", queued, "from", b.Cursor, "took", s.Now().Sub(start))
	return queued, nil
}

func (s *Service) sendAll(ctx context.Context, reqs []outbound.Request) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan outbound.Request)
	)
	for range min(s.Workers, len(reqs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				if _, err := s.SMS.Send(ctx, r); err != nil && !errors.Is(err, outbound.ErrEmpty) {
					mu.Lock()
					first = firstErr(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, r := range reqs {
		next <- r
	}
	close(next)
	wg.Wait()
	return first
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// Report is where a broadcast's messages stand.
type Report struct {
	*Broadcast
	Counts    map[sms.Status]int // by status; "" counts recipients without a message
	Pending   int                // queued or sending
	Reached   int                // sent or delivered
	Unreached []Recipient        // failed, undelivered, or never queued
}

// Report reads where every message of a broadcast stands.
func (s *Service) Report(ctx context.Context, id string) (*Report, error) {
	b, err := s.Store.Broadcast(ctx, id)
	if err != nil || b == nil {
		return nil, firstErr(err, ErrNotFound)
	}
	r := &Report{Broadcast: b, Counts: map[sms.Status]int{}}
	if b.Status == Scheduled || b.Status == Cancelled {
		return r, nil
	}
	for from := int64(0); ; from += page {
		phones, err := s.Store.Recipients(ctx, id, from, page)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(phones))
		for i, p := range phones {
			ids[i] = MessageID(id, p)
		}
		sts, err := s.Store.MessageStatuses(ctx, ids)
		if err != nil {
			return nil, err
		}
		var lost []string
		for i, st := range sts {
			r.Counts[st]++
			switch st {
			case sms.Queued, sms.Sending:
				r.Pending++
			case sms.Sent, sms.Delivered:
				r.Reached++
			default:
				lost = append(lost, phones[i])
			}
		}
		if len(lost) > 0 {
			people, err := s.Store.People(ctx, lost)
			if err != nil {
				return nil, err
			}
			r.Unreached = append(r.Unreached, people...)
		}
		if len(phones) < page {
			return r, nil
		}
	}
}

// Settle sends the summary of every queued broadcast whose messages all
// have an outcome (or have waited MaxWait), and closes it. One broadcast's
// failure does not hold up the others; the first is returned.
func (s *Service) Settle(ctx context.Context) error {
	ids, err := s.Store.Open(ctx)
	if err != nil {
		return err
	}
	var first error
	for _, id := range ids {
		if err := s.settle(ctx, id); err != nil {
			first = firstErr(first, fmt.Errorf("broadcast %s: %w", id, err))
		}
	}
	return first
}

func (s *Service) settle(ctx context.Context, id string) error {
	if waiting, err := s.waiting(ctx, id); err != nil || waiting {
		return err
	}
	r, err := s.Report(ctx, id)
	if errors.Is(err, ErrNotFound) { // expired: nothing left to sum up
		return s.Store.MarkDone(ctx, id)
	}
	if err != nil {
		return err
	}
	if r.Pending > 0 && s.Now().Sub(r.QueuedAt) < s.MaxWait {
		return nil
	}
	if r.Coach() {
		if err := s.summarize(ctx, r); err != nil {
			return fmt.Errorf("summary: %w", err)
		}
	}
	if err := s.Store.MarkDone(ctx, id); err != nil {
		return err
	}
	s.Log.Info("broadcast done", "id", id, "reached", r.Reached, "unreached", len(r.Unreached)+r.Pending)
	return nil
}

// waiting tells, from the broadcast's outcome counters alone, that some of
// its messages are still waiting for an outcome: the check of every tick
// reads one hash, not every recipient's message. Only then is the report,
// which reads them all, made, once. A broadcast without counters (made
// before they were kept) is never taken for waiting here.
func (s *Service) waiting(ctx context.Context, id string) (bool, error) {
	b, err := s.Store.Broadcast(ctx, id)
	if err != nil || b == nil || b.Outcomes == nil {
		return false, err
	}
	pending := b.Outcomes[sms.Queued] + b.Outcomes[sms.Sending]
	return pending > 0 && s.Now().Sub(b.QueuedAt) < s.MaxWait, nil
}

// maxNames bounds the names of the unreached in the summary SMS: beyond
// it, "+N" says how many more.
const maxNames = 5

// summarize texts the coach: reached N of M, and who was not.
func (s *Service) summarize(ctx context.Context, r *Report) error {
	failed := r.Count - r.Reached
	vars := map[string]any{"Sent": r.Reached, "Total": r.Count, "Failed": failed, "What": s.what(r.Broadcast, r.ByLang)}
	id := "sms.broadcast.summary"
	if failed > 0 {
		id = "sms.broadcast.summary.failed"
		var names []string
		for _, p := range r.Unreached {
			if len(names) == maxNames {
				break
			}
			names = append(names, shortName(p.Name, p.Phone))
		}
		list := strings.Join(names, ", ")
		if more := failed - len(names); more > 0 {
			list += fmt.Sprintf(" +%d", more)
		}
		vars["Names"] = list
	}
	text := s.Texts.SMSText(r.ByLang, id, vars)
	_, err := s.SMS.Send(ctx, outbound.Request{ID: "bcsum:" + r.ID, To: r.By, Lang: s.Texts.Resolve(r.ByLang),
		Text: text, Kind: "broadcast", Exempt: true})
	return err
}

// what names a broadcast for its sender: the template's menu label, or the
// start of the free text.
func (s *Service) what(b *Broadcast, lang string) string {
	if b.Template != "" {
		return s.Texts.SMSText(lang, "broadcast.tpl."+b.Template, nil)
	}
	t := []rune(b.Texts["es"])
	if len(t) > 20 {
		return string(t[:20]) + "..."
	}
	return string(t)
}

// Tick dispatches and settles: the background loop's tick.
func (s *Service) Tick(ctx context.Context) {
	if n, err := s.Dispatch(ctx); err != nil {
		s.Log.Error("broadcasts dispatch", "err", err)
	} else if n > 0 {
		s.Log.Info("broadcast messages queued", "count", n)
	}
	if err := s.Settle(ctx); err != nil {
		s.Log.Error("broadcasts settle", "err", err)
	}
}

func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return name
}

// shortName is "Rosa Quispe" for Rosa Quispe Huaman: enough for a coach
// who knows the family; the phone's last digits when there is no name.
func shortName(name, phone string) string {
	f := strings.Fields(name)
	switch {
	case len(f) == 0:
		return "..." + phone[max(0, len(phone)-4):]
	case len(f) == 1:
		return f[0]
	}
	return f[0] + " " + f[1]
}
