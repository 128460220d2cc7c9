package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/willay-pe/willay/internal/broadcast"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/gsm"
	"github.com/willay-pe/willay/internal/program"
)

// memStore is the engine's Store and Snapshots in memory, for engine unit
// tests. It follows the Redis store's contract: sessions round-trip through
// JSON, each Load returns a fresh copy of the person, PIN attempts and
// call-back requests happen once per once key, 3 wrong PINs lock for 30
// minutes, one call-back request per participant and local day.
type memStore struct {
	mu  sync.Mutex
	now func() time.Time

	sessions  map[string][]byte
	people    map[string]program.Person
	pins      map[string]string // phone → keyed hash
	fails     map[string]int
	lockedTo  map[string]time.Time
	once      map[string]any
	asked     map[string]bool // phone|yyyymmdd
	callbacks map[string][]program.Callback
	groups    map[string][]program.Event
	sms       map[string]Message // queued SMS by idempotency key
	snaps     map[string]map[string][]byte
	calls     map[string]int

	// failLoad, failSave and failEffects make the matching calls fail.
	failLoad, failSave, failEffects, failSnapshots error
}

const (
	memPINTries = 3
	memPINLock  = 30 * time.Minute
)

func newMemStore(now func() time.Time) *memStore {
	return &memStore{now: now, sessions: map[string][]byte{}, people: map[string]program.Person{},
		pins: map[string]string{}, fails: map[string]int{}, lockedTo: map[string]time.Time{}, once: map[string]any{},
		asked: map[string]bool{}, callbacks: map[string][]program.Callback{}, groups: map[string][]program.Event{},
		snaps: map[string]map[string][]byte{}, calls: map[string]int{}}
}

func (m *memStore) count(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[name]
}

func (m *memStore) lose(session string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, session)
}

func (m *memStore) session(id string) *Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	js, ok := m.sessions[id]
	if !ok {
		return nil
	}
	var s Session
	if err := json.Unmarshal(js, &s); err != nil {
		panic(err)
	}
	return &s
}

func (m *memStore) Load(_ context.Context, sessionID, phone string) (*Session, *program.Person, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["Load"]++
	if m.failLoad != nil {
		return nil, nil, m.failLoad
	}
	var sess *Session
	if js, ok := m.sessions[sessionID]; ok {
		sess = &Session{}
		if err := json.Unmarshal(js, sess); err != nil {
			return nil, nil, err
		}
	}
	p, ok := m.people[phone]
	if !ok {
		return sess, &program.Person{Phone: phone}, nil
	}
	p.Groups = append([]string(nil), p.Groups...)
	p.Events = append([]program.Event(nil), p.Events...)
	if p.Savings != nil {
		sv := *p.Savings
		p.Savings = &sv
	}
	if p.Role == program.Participant {
		p.Events = append(p.Events, m.groups[p.Group]...)
	}
	p.PINSet = m.pins[phone] != ""
	if left := m.lockedTo[phone].Sub(m.now()); left > 0 {
		p.LockedFor = left
	}
	return sess, &p, nil
}

func (m *memStore) Save(_ context.Context, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["Save"]++
	if m.failSave != nil {
		return m.failSave
	}
	js, err := json.Marshal(s)
	if err != nil {
		return err
	}
	m.sessions[s.ID] = js
	return nil
}

func (m *memStore) SetPIN(_ context.Context, phone, hash string) (PINCheck, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["SetPIN"]++
	if m.failEffects != nil {
		return PINCheck{}, m.failEffects
	}
	if left := m.lockedTo[phone].Sub(m.now()); left > 0 {
		return PINCheck{LockedFor: left}, nil
	}
	if cur := m.pins[phone]; cur != "" && cur != hash {
		return PINCheck{}, nil
	}
	m.pins[phone] = hash
	delete(m.fails, phone)
	return PINCheck{OK: true}, nil
}

func (m *memStore) VerifyPIN(_ context.Context, phone, hash, once string) (PINCheck, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["VerifyPIN"]++
	if m.failEffects != nil {
		return PINCheck{}, m.failEffects
	}
	if done, ok := m.once[once].(PINCheck); ok {
		return done, nil
	}
	var res PINCheck
	switch left := m.lockedTo[phone].Sub(m.now()); {
	case left > 0:
		res = PINCheck{LockedFor: left}
	case m.pins[phone] == hash:
		delete(m.fails, phone)
		res = PINCheck{OK: true, Left: memPINTries}
	default:
		m.fails[phone]++
		if m.fails[phone] >= memPINTries {
			m.lockedTo[phone] = m.now().Add(memPINLock)
			delete(m.fails, phone)
			res = PINCheck{LockedFor: memPINLock}
		} else {
			res = PINCheck{Left: memPINTries - m.fails[phone]}
		}
	}
	m.once[once] = res
	return res, nil
}

func (m *memStore) RequestCallback(_ context.Context, p *program.Person, at time.Time, once string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["RequestCallback"]++
	if m.failEffects != nil {
		return false, m.failEffects
	}
	if done, ok := m.once[once].(bool); ok {
		return done, nil
	}
	day := p.Phone + "|" + at.Format("20060102")
	created := !m.asked[day]
	if created {
		m.asked[day] = true
		m.callbacks[p.Coach] = append(m.callbacks[p.Coach], program.Callback{Phone: p.Phone, Name: p.Name, At: at})
	}
	m.once[once] = created
	return created, nil
}

func (m *memStore) SetLanguage(_ context.Context, p *program.Person, lang string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["SetLanguage"]++
	if m.failEffects != nil {
		return m.failEffects
	}
	stored := m.people[p.Phone]
	stored.Lang = lang
	m.people[p.Phone] = stored
	return nil
}

func (m *memStore) CoachAgenda(_ context.Context, groups []string) ([]program.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["CoachAgenda"]++
	var out []program.Event
	for _, g := range groups {
		for _, e := range m.groups[g] {
			e.Group = g
			out = append(out, e)
		}
		phones := make([]string, 0, len(m.people))
		for ph, p := range m.people {
			if p.Role == program.Participant && p.Group == g {
				phones = append(phones, ph)
			}
		}
		sort.Strings(phones)
		for _, ph := range phones {
			p := m.people[ph]
			for _, e := range p.Events {
				e.Who = p.Name
				out = append(out, e)
			}
		}
	}
	return out, nil
}

func (m *memStore) Callbacks(_ context.Context, coach string) ([]program.Callback, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["Callbacks"]++
	return append([]program.Callback(nil), m.callbacks[coach]...), nil
}

func (m *memStore) SaveSnapshot(_ context.Context, version string, files map[string][]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snaps[version] = files
	return nil
}

var errNoSnapshot = fmt.Errorf("no such snapshot: %w", ErrVersionGone)

func (m *memStore) LoadSnapshot(_ context.Context, version string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failSnapshots != nil {
		return nil, m.failSnapshots
	}
	files, ok := m.snaps[version]
	if !ok {
		return nil, errNoSnapshot
	}
	return files, nil
}

var (
	_ Store     = (*memStore)(nil)
	_ Snapshots = (*memStore)(nil)
)

// Test people. Dates are relative to testNow, Friday 27/11/2026 10:00.
const (
	phoneRosa   = "+51900000001" // es, no PIN yet, savings, three visits, a payment
	phoneJuana  = "+51900000002" // qu
	phoneYnes   = "+51900000003" // shp
	phoneMaria  = "+51900000004" // quz, served by qu.yaml
	phoneLucia  = "+51900000005" // es, no coach, no savings, no events
	phoneCarmen = "+51900000006" // es, PIN 2468 already set
	phoneCoach  = "+51900000009" // es coach of group HW-HVCA-01
	phoneNobody = "+51900000099" // not registered
	testPIN     = "2468"
)

var (
	testLima   = mustLocation("America/Lima")
	testNow    = time.Date(2026, 11, 27, 10, 0, 0, 0, testLima)
	testPINKey = []byte("engine-test-pin-key")
)

func mustLocation(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func addPeople(m *memStore) {
	const group = "HW-HVCA-01"
	coachOf := func(p program.Person) program.Person {
		p.Role, p.Group, p.Coach, p.CoachName = program.Participant, group, phoneCoach, "Maximiliano Ccori"
		return p
	}
	m.people[phoneRosa] = coachOf(program.Person{Phone: phoneRosa, Name: "Rosa Quispe Huaman", Lang: "es",
		Savings: &program.Savings{Cents: 35000, AsOf: "2026-11-20"},
		Events: []program.Event{
			{ID: "d0", Kind: program.Visit, Date: "2026-11-20", Time: "09:00", Place: "Su casa", Topic: "Ya paso"},
			{ID: "d1", Kind: program.Visit, Date: "2026-11-28", Time: "09:00", Place: "Su casa", Topic: "Biohuerto familiar"},
			{ID: "d4", Kind: program.Training, Date: "2026-11-30", Time: "14:00", Place: "Local comunal de Santa Rosa", Topic: "Cocina mejorada"},
			{ID: "d5", Kind: program.Meeting, Date: "2026-12-03", Time: "15:00", Place: "Local comunal", Topic: "Reunion de ahorro"},
			{ID: "d7", Kind: program.Transfer, Date: "2026-12-02", Program: "juntos", Cents: 20000, Place: "Agencia Banco de la Nación Yauli"},
		}})
	m.people[phoneJuana] = coachOf(program.Person{Phone: phoneJuana, Name: "Juana Mamani Ccora", Lang: "qu",
		Savings: &program.Savings{Cents: 12050, AsOf: "2026-11-24"}})
	m.people[phoneYnes] = coachOf(program.Person{Phone: phoneYnes, Name: "Ynes Sanancino Rojas", Lang: "shp",
		Savings: &program.Savings{Cents: 8000, AsOf: "2026-11-17"}})
	m.people[phoneMaria] = coachOf(program.Person{Phone: phoneMaria, Name: "Maria Huaman Condori", Lang: "quz"})
	m.people[phoneLucia] = program.Person{Phone: phoneLucia, Role: program.Participant, Name: "Lucia Ramos", Lang: "es"}
	m.people[phoneCarmen] = coachOf(program.Person{Phone: phoneCarmen, Name: "Carmen Soto", Lang: "es",
		Savings: &program.Savings{Cents: 123456, AsOf: "2026-11-26"}})
	m.pins[phoneCarmen] = PINHasher(testPINKey, phoneCarmen)(testPIN)
	m.people[phoneCoach] = program.Person{Phone: phoneCoach, Role: program.Coach, Name: "Maximiliano Ccori", Lang: "es", Groups: []string{group}}
}

var shipped struct {
	once   sync.Once
	bundle *Bundle
	err    error
}

// shippedBundle is flows/ and locales/ as they are in the repository.
func shippedBundle(tb testing.TB) *Bundle {
	tb.Helper()
	shipped.once.Do(func() { shipped.bundle, shipped.err = LoadDirs("../../flows", "../../locales") })
	if shipped.err != nil {
		tb.Fatal(shipped.err)
	}
	return shipped.bundle
}

func testScreens() Screens { return Screens{Limits: gsm.DefaultLimits(), FoldAccents: true} }

// fixture is an engine over a memStore with the test people.
type fixture struct {
	store      *memStore
	broadcasts *memBroadcasts
	eng        *Engine
	now        time.Time
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{now: testNow}
	f.store = newMemStore(func() time.Time { return f.now })
	addPeople(f.store)
	f.broadcasts = newMemBroadcasts(f.store)
	bs := broadcast.New(broadcast.Config{Store: f.broadcasts, Location: testLima, Now: func() time.Time { return f.now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.eng = New(Config{
		Store: f.store, Library: NewLibrary(f.store, shippedBundle(tb)), Actions: Actions(), Screens: testScreens(),
		Location: testLima, Now: func() time.Time { return f.now }, PINKey: testPINKey,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), SMS: f.store, Broadcasts: bs,
	})
	bs.Texts = f.eng
	return f
}

// Send implements Messenger: the memory store keeps SMS by ID, so that a
// repeated hop's message is kept once, as the real pipeline does.
func (m *memStore) Send(_ context.Context, msg Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls["Send"]++
	if m.sms == nil {
		m.sms = map[string]Message{}
	}
	m.sms[msg.ID] = msg
	return nil
}

// hop sends one hop with the whole path so far, as Africa's Talking does.
func (f *fixture) hop(tb testing.TB, session, phone string, inputs ...string) Reply {
	tb.Helper()
	r, err := f.eng.Handle(context.Background(), Hop{Gateway: "test", SessionID: session, Phone: phone, ServiceCode: "*500#", Inputs: inputs})
	if err != nil {
		tb.Fatalf("hop %q: %v", inputs, err)
	}
	return r
}

// dial runs a session one input at a time with the full path, and returns
// the reply of the dial and of each input.
func (f *fixture) dial(tb testing.TB, session, phone string, typed ...string) []Reply {
	tb.Helper()
	replies := []Reply{f.hop(tb, session, phone)}
	for i := range typed {
		replies = append(replies, f.hop(tb, session, phone, typed[:i+1]...))
	}
	return replies
}

// dialLatest is dial for a gateway that sends only the latest input.
func (f *fixture) dialLatest(tb testing.TB, session, phone string, typed ...string) []Reply {
	tb.Helper()
	replies := []Reply{f.hop(tb, session, phone)}
	for i, in := range typed {
		replies = append(replies, f.hopSeq(tb, session, phone, i+1, in))
	}
	return replies
}

// hopSeq sends one input as a gateway that sends only the latest input.
func (f *fixture) hopSeq(tb testing.TB, session, phone string, seq int, input string) Reply {
	tb.Helper()
	r, err := f.eng.Handle(context.Background(), Hop{Gateway: "test", SessionID: session, Phone: phone, ServiceCode: "*500#", Inputs: []string{input}, Seq: seq})
	if err != nil {
		tb.Fatalf("hop %d %q: %v", seq, input, err)
	}
	return r
}
