package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/flow"
	"github.com/willay-pe/willay/internal/program"
	"github.com/willay-pe/willay/internal/sms"
)

// Action is Go code that a flow names. Staff move actions around in flows;
// only developers add them.
type Action struct {
	flow.ActionSpec
	// SideEffect actions write something. After a lost session their
	// inputs are not replayed: the person is asked again.
	SideEffect bool
	Run        func(ctx context.Context, c *Call) (Result, error)
	// Sample is what Run may return, for `willay flows check` to measure
	// screens without data.
	Sample Result
}

// Call is what an action gets.
type Call struct {
	Person *program.Person
	Sess   *Session
	Input  string
	Args   map[string]string
	Now    time.Time // in the person's timezone
	Once   string    // idempotency key of this hop
	Store  Effects
	T      func(id string) string // a text in the person's language
	TIn    func(lang, id string, vars map[string]any) string
	PIN    func(pin string) string
	SMS    Messenger
	// SMSPerDay limits what sms.send sends a phone a day (0: no limit).
	SMSPerDay int
	// Broadcasts makes and cancels a coach's broadcasts.
	Broadcasts *broadcast.Service
}

// Result of an action: where to go, and what to show.
type Result struct {
	Outcome    string
	Vars       map[string]any
	Items      []map[string]any
	Notice     string // message ID shown on top of the next screen
	NoticeVars map[string]any
}

// Actions are every action flows may name.
func Actions() map[string]Action {
	m := map[string]Action{
		"pin.status": {ActionSpec: flow.ActionSpec{Outcomes: []string{"set", "unset", "locked"}}, Run: pinStatus},
		"pin.choose": {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok"}, Input: true}, Run: pinChoose},
		"pin.confirm": {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "mismatch", "set", "locked"}, Input: true},
			SideEffect: true, Run: pinConfirm},
		"pin.verify": {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "wrong", "locked"}, Input: true},
			SideEffect: true, Run: pinVerify},
		"pin.lock": {Run: pinLock, Sample: Result{Vars: map[string]any{"Minutes": 30}}},
		"savings.balance": {Run: savingsBalance,
			Sample: Result{Vars: map[string]any{"Balance": program.Money(1234567), "AsOf": "20/11/2026"}}},
		"visits.list": {Run: visitsList, Sample: Result{Items: []map[string]any{sampleEvent}}},
		"transfers.list": {Run: transfersList, Sample: Result{Items: []map[string]any{
			{"Date": "15/12/2026", "Program": "Haku Wiñay", "Amount": program.Money(20000), "Place": "Agencia Banco de la Nación Huancavelica"}}}},
		"callback.request": {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "already", "nocoach"}},
			SideEffect: true, Run: callbackRequest},
		"coach.info":   {Run: coachInfo, Sample: Result{Vars: map[string]any{"Coach": "Maximiliano"}}},
		"language.set": {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok"}}, SideEffect: true, Run: languageSet},
		"coach.agenda": {Run: coachAgenda, Sample: Result{Items: []map[string]any{sampleEvent}}},
		"sms.send":     {ActionSpec: flow.ActionSpec{Outcomes: []string{"ok", "limit"}}, SideEffect: true, Run: smsSend},
		"coach.callbacks": {Run: coachCallbacks, Sample: Result{Items: []map[string]any{
			{"Name": "Rosa Quispe Huaman", "Phone": "987654321", "When": "27/11 09:30"}}}},
	}
	for name, a := range broadcastActions() {
		m[name] = a
	}
	return m
}

var sampleEvent = map[string]any{"Date": "28/11/2026", "Time": "09:00", "Kind": "Capacitación",
	"Topic": "Cuidado de cuyes y biohuertos", "Place": "Local comunal de Santa Rosa", "Who": "Rosa Quispe Huaman"}

// Spec is what flows may use, for validation.
func Spec(actions map[string]Action) flow.Spec {
	s := flow.Spec{Actions: map[string]flow.ActionSpec{}, Validators: map[string]bool{}, Required: []string{"participant", "coach"}}
	for name, a := range actions {
		s.Actions[name] = a.ActionSpec
	}
	for name := range validators {
		s.Validators[name] = true
	}
	return s
}

// PINHasher keys PIN hashes with a secret, so that a copy of Redis alone
// does not reveal 4-digit PINs by brute force.
func PINHasher(key []byte, phone string) func(string) string {
	return func(pin string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(phone + "\x00" + pin))
		return hex.EncodeToString(m.Sum(nil))
	}
}

func pinStatus(_ context.Context, c *Call) (Result, error) {
	switch {
	case c.Person.LockedFor > 0:
		return Result{Outcome: "locked"}, nil
	case c.Person.PINSet:
		return Result{Outcome: "set"}, nil
	}
	return Result{Outcome: "unset"}, nil
}

// pinChoose keeps only a keyed hash of the first entry, in the session.
func pinChoose(_ context.Context, c *Call) (Result, error) {
	c.Sess.Vars["pin1"] = c.PIN(c.Input)
	return Result{Outcome: "ok"}, nil
}

func pinConfirm(ctx context.Context, c *Call) (Result, error) {
	first := c.Sess.Vars["pin1"]
	delete(c.Sess.Vars, "pin1")
	h := c.PIN(c.Input)
	if first == "" || !hmac.Equal([]byte(first), []byte(h)) {
		return Result{Outcome: "mismatch", Notice: "pin.mismatch"}, nil
	}
	r, err := c.Store.SetPIN(ctx, c.Person.Phone, h)
	if err != nil {
		return Result{}, err
	}
	// A session that waited at "type it again" may be stale: another one
	// may have set a PIN, or locked the savings, since.
	switch {
	case r.LockedFor > 0:
		c.Person.LockedFor = r.LockedFor
		return Result{Outcome: "locked"}, nil
	case !r.OK:
		c.Person.PINSet = true
		return Result{Outcome: "set", Notice: "pin.already"}, nil
	}
	c.Person.PINSet = true
	return Result{Outcome: "ok"}, nil
}

func pinVerify(ctx context.Context, c *Call) (Result, error) {
	r, err := c.Store.VerifyPIN(ctx, c.Person.Phone, c.PIN(c.Input), c.Once)
	if err != nil {
		return Result{}, err
	}
	switch {
	case r.OK:
		return Result{Outcome: "ok"}, nil
	case r.LockedFor > 0:
		c.Person.LockedFor = r.LockedFor
		return Result{Outcome: "locked"}, nil
	}
	return Result{Outcome: "wrong", Notice: "pin.wrong", NoticeVars: map[string]any{"Count": r.Left}}, nil
}

func pinLock(_ context.Context, c *Call) (Result, error) {
	min := int((c.Person.LockedFor + time.Minute - 1) / time.Minute)
	return Result{Vars: map[string]any{"Minutes": max(min, 1)}}, nil
}

// ErrUnavailable is data that cannot be shown (a stored value that does not
// parse): its screen says so, and the rest of the menus work.
var ErrUnavailable = errors.New("data unavailable")

func savingsBalance(_ context.Context, c *Call) (Result, error) {
	s := c.Person.Savings
	if s == nil {
		return Result{}, nil
	}
	if s.Bad != "" {
		return Result{}, fmt.Errorf("savings: %s: %w", s.Bad, ErrUnavailable)
	}
	asOf, err := time.ParseInLocation("2006-01-02", s.AsOf, c.Now.Location())
	if err != nil {
		return Result{}, fmt.Errorf("savings: date %q: %w", s.AsOf, ErrUnavailable)
	}
	return Result{Vars: map[string]any{"Balance": program.Money(s.Cents), "AsOf": program.Day(asOf, c.Now)}}, nil
}

func visitsList(_ context.Context, c *Call) (Result, error) {
	evs := program.Upcoming(c.Person.Events, c.Now, program.Visit, program.Training, program.Meeting)
	return Result{Items: eventItems(c, evs)}, nil
}

func transfersList(_ context.Context, c *Call) (Result, error) {
	var items []map[string]any
	for _, e := range program.Upcoming(c.Person.Events, c.Now, program.Transfer) {
		at, _ := e.At(c.Now.Location())
		items = append(items, map[string]any{
			"Date": program.Day(at, c.Now), "Program": programName(c, e.Program),
			"Amount": program.Money(e.Cents), "Place": e.Place,
		})
	}
	return Result{Items: items}, nil
}

// programName translates a known program and shows an unknown one as
// imported, so that a new program needs no code.
func programName(c *Call, p string) string {
	if p == "" {
		return ""
	}
	if t := c.T("program." + p); t != "" {
		return t
	}
	return strings.ReplaceAll(p, "_", " ")
}

func eventItems(c *Call, evs []program.Event) []map[string]any {
	items := make([]map[string]any, 0, len(evs))
	for _, e := range evs {
		at, _ := e.At(c.Now.Location())
		who := e.Who
		if who == "" {
			who = e.Group
		}
		items = append(items, map[string]any{
			"Date": program.Day(at, c.Now), "Time": at.Format("15:04"), "Kind": c.T("kind." + e.Kind),
			"Topic": e.Topic, "Place": e.Place, "Who": who,
		})
	}
	return items
}

func callbackRequest(ctx context.Context, c *Call) (Result, error) {
	if c.Person.Coach == "" {
		return Result{Outcome: "nocoach"}, nil
	}
	created, err := c.Store.RequestCallback(ctx, c.Person, c.Now, c.Once)
	if err != nil {
		return Result{}, err
	}
	if !created {
		return Result{Outcome: "already"}, nil
	}
	return Result{Outcome: "ok"}, alertCoach(ctx, c)
}

// alertCoach tells the coach by SMS, in the coach's language, who asked to
// be called. The once key makes a repeated hop queue it once.
func alertCoach(ctx context.Context, c *Call) error {
	if c.SMS == nil {
		return errors.New("call-back alert: no SMS pipeline")
	}
	p := c.Person
	text := c.TIn(c.Person.CoachLang, "sms.callback", map[string]any{
		"Name": p.Name, "Community": p.Community, "Phone": localPhone(p.Phone)})
	return c.SMS.Send(ctx, Message{ID: "callback:" + c.Once, To: p.Coach, Lang: p.CoachLang, Text: text, Kind: "callback"})
}

// smsSend sends the person what a page shows (args what: visits or
// payments), whole, so that the dates stay in their inbox.
func smsSend(ctx context.Context, c *Call) (Result, error) {
	if c.SMS == nil {
		return Result{}, errors.New("sms.send: no SMS pipeline")
	}
	text, err := SMSText(ctx, c, c.Args["what"])
	if err != nil {
		return Result{}, err
	}
	err = c.SMS.Send(ctx, Message{ID: "ussd:" + c.Once, To: c.Person.Phone, Lang: c.Person.Lang, Text: text, Kind: "reply", Exempt: true,
		Quota: sms.Quota{PerDay: c.SMSPerDay, Day: c.Now.Format("20060102")}})
	if errors.Is(err, sms.ErrOverQuota) {
		return Result{Outcome: "limit"}, nil
	}
	return Result{Outcome: "ok"}, err
}

// smsLists are the pages an SMS can carry: the action that lists them and
// their texts.
var smsLists = map[string]struct{ list, title, item, empty string }{
	"visits":   {"visits.list", "visits.title", "visits.item", "visits.none"},
	"payments": {"transfers.list", "payments.title", "payments.item", "payments.none"},
}

// SMSText renders a list page as one SMS: its title and every line.
func SMSText(ctx context.Context, c *Call, what string) (string, error) {
	l, ok := smsLists[what]
	if !ok {
		return "", fmt.Errorf("sms.send: nothing to send called %q (known: visits, payments)", what)
	}
	res, err := Actions()[l.list].Run(ctx, c)
	if err != nil {
		return "", err
	}
	if len(res.Items) == 0 {
		return c.TIn(c.Person.Lang, l.empty, nil), nil
	}
	lines := []string{c.TIn(c.Person.Lang, l.title, nil)}
	for _, it := range res.Items {
		lines = append(lines, c.TIn(c.Person.Lang, l.item, it))
	}
	return strings.Join(lines, "\n"), nil
}

func coachInfo(_ context.Context, c *Call) (Result, error) {
	name := c.Person.CoachName
	if f := strings.Fields(name); len(f) > 0 {
		name = f[0]
	}
	return Result{Vars: map[string]any{"Coach": name}}, nil
}

func languageSet(ctx context.Context, c *Call) (Result, error) {
	lang := c.Args["lang"]
	if !program.ValidLanguage(lang) {
		return Result{}, fmt.Errorf("language.set: unknown language %q in flow args", lang)
	}
	if err := c.Store.SetLanguage(ctx, c.Person, lang); err != nil {
		return Result{}, err
	}
	c.Person.Lang = lang
	return Result{Outcome: "ok"}, nil
}

func coachAgenda(ctx context.Context, c *Call) (Result, error) {
	evs, err := c.Store.CoachAgenda(ctx, c.Person.Groups)
	if err != nil {
		return Result{}, err
	}
	evs = program.Upcoming(evs, c.Now, program.Visit, program.Training, program.Meeting)
	return Result{Items: eventItems(c, evs)}, nil
}

func coachCallbacks(ctx context.Context, c *Call) (Result, error) {
	cbs, err := c.Store.Callbacks(ctx, c.Person.Phone)
	if err != nil {
		return Result{}, err
	}
	items := make([]map[string]any, 0, len(cbs))
	for _, cb := range cbs {
		at := cb.At.In(c.Now.Location())
		items = append(items, map[string]any{
			"Name": cb.Name, "Phone": localPhone(cb.Phone), "When": program.Day(at, c.Now) + " " + at.Format("15:04"),
		})
	}
	return Result{Items: items}, nil
}

// localPhone shows a Peruvian number as people dial it.
func localPhone(e164 string) string {
	return strings.TrimPrefix(e164, "+51")
}
