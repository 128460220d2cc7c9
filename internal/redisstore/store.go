package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/engine"
	"github.com/willay-pe/willay/internal/program"
)

// Options are the tunable lifetimes.
type Options struct {
	SessionTTL  time.Duration // idle time before a session expires
	PINTries    int           // wrong PINs before the lock
	PINLock     time.Duration
	OnceTTL     time.Duration // how long a hop's side effect is remembered
	SnapshotTTL time.Duration
	KeepEvents  time.Duration // events older than this are dropped on import
	// GroupTTL is how long a server keeps a group's events and a coach's
	// name in memory: an import reaches hops within it. 0 reads them on
	// every hop (one more round trip).
	GroupTTL time.Duration
	// Guard runs each shared pipeline of hops, and reports a panic in it
	// (after logging and counting it; see background.Loops.Do): the hops
	// of that pipeline then fail, and the batcher goes on. nil recovers
	// and logs to slog.Default, exporting no metric.
	Guard func(loop string, fn func()) (panicked bool)
}

// DefaultOptions are the numbers.
func DefaultOptions() Options {
	return Options{SessionTTL: 180 * time.Second, PINTries: 3, PINLock: 30 * time.Minute,
		OnceTTL: time.Hour, SnapshotTTL: 30 * 24 * time.Hour, KeepEvents: 60 * 24 * time.Hour, GroupTTL: 15 * time.Second}
}

// Store is Willay's Redis.
type Store struct {
	rdb   redis.UniversalClient
	keys  Keys
	opt   Options
	now   func() time.Time
	texts *cache[string]            // t:{id} texts, by id: never stale
	group *cache[map[string]string] // g:{group} hashes, for GroupTTL
	coach *cache[coachInfo]         // coaches' names and languages, for GroupTTL
	batch *batcher                  // hops' reads and saves, pipelined together
}

// New wraps a client. now is the clock used for event pruning.
func New(rdb redis.UniversalClient, prefix string, opt Options, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{rdb: rdb, keys: Keys{Prefix: prefix}, opt: opt, now: now,
		texts: newCache[string](100_000, 0),
		group: newCache[map[string]string](100_000, opt.GroupTTL),
		coach: newCache[coachInfo](100_000, opt.GroupTTL),
		batch: newBatcher(rdb, 2, 2*time.Second, opt.Guard)}
}

// Close stops the store's batching; the client stays the caller's.
func (s *Store) Close() { s.batch.close() }

// Keys exposes the layout, for tests and tools.
func (s *Store) Keys() Keys { return s.keys }

// Ping tells whether Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// Load implements engine.Store: one round trip reads the session, the
// person and the PIN lock; the participant's group events and coach name
// come from memory, or from a second round trip every GroupTTL.
func (s *Store) Load(ctx context.Context, sessionID, phone string) (*engine.Session, *program.Person, error) {
	var sessCmd *redis.StringCmd
	var pCmd, cCmd *redis.MapStringStringCmd
	var lockCmd *redis.DurationCmd
	err := s.batch.do(ctx, func(pipe redis.Pipeliner) {
		sessCmd = pipe.Get(ctx, s.keys.Session(phone, sessionID))
		pCmd = pipe.HGetAll(ctx, s.keys.Person(phone))
		cCmd = pipe.HGetAll(ctx, s.keys.Coach(phone))
		lockCmd = pipe.PTTL(ctx, s.keys.PINLock(phone))
	})
	if err != nil {
		return nil, nil, err
	}
	if err := sessCmd.Err(); err != nil && err != redis.Nil {
		return nil, nil, err
	}
	for _, c := range []redis.Cmder{pCmd, cCmd, lockCmd} {
		if err := c.Err(); err != nil {
			return nil, nil, err
		}
	}
	var sess *engine.Session
	if js, err := sessCmd.Bytes(); err == nil {
		sess = &engine.Session{}
		if err := json.Unmarshal(js, sess); err != nil {
			return nil, nil, fmt.Errorf("session %s: %w", sessionID, err)
		}
	}
	p := &program.Person{Phone: phone}
	if c := cCmd.Val(); len(c) > 0 {
		fillCoach(p, c)
		return sess, p, nil
	}
	f := pCmd.Val()
	if len(f) == 0 {
		return sess, p, nil
	}
	group, coach, err := s.shared(ctx, f["grp"], f["coach"])
	if err != nil {
		return nil, nil, err
	}
	fillParticipant(p, f, group)
	p.CoachName, p.CoachLang = coach.name, coach.lang
	if ttl := lockCmd.Val(); ttl > 0 {
		p.LockedFor = ttl
	}
	return sess, p, s.resolve(ctx, p.Events)
}

// coachInfo is what a participant's screens and alerts need of their coach.
type coachInfo struct{ name, lang string }

// shared reads what a participant shares with others, their group's
// events and their coach, through the in-process cache.
func (s *Store) shared(ctx context.Context, group, coach string) (map[string]string, coachInfo, error) {
	g, gok := s.group.get(group)
	c, cok := s.coach.get(coach)
	if (gok || group == "") && (cok || coach == "") {
		return g, c, nil
	}
	pipe := s.rdb.Pipeline()
	gCmd := pipe.HGetAll(ctx, s.keys.Group(group))
	cCmd := pipe.HMGet(ctx, s.keys.Coach(coach), "name", "lang", "ulang")
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, coachInfo{}, err
	}
	if err := gCmd.Err(); err != nil {
		return nil, coachInfo{}, err
	}
	v := cCmd.Val()
	str := func(i int) string { s, _ := v[i].(string); return s }
	c = coachInfo{name: str(0), lang: cmp.Or(str(2), str(1))}
	g = gCmd.Val()
	if s.opt.GroupTTL > 0 {
		s.group.put(group, g)
		s.coach.put(coach, c)
	}
	return g, c, nil
}

func language(f map[string]string) string {
	if l := f["ulang"]; l != "" {
		return l
	}
	return f["lang"]
}

func fillCoach(p *program.Person, f map[string]string) {
	p.Role, p.Name, p.Lang = program.Coach, f["name"], language(f)
	for k := range f {
		if g, ok := strings.CutPrefix(k, "g:"); ok {
			p.Groups = append(p.Groups, g)
		}
	}
}

// fillParticipant reads a participant's hash. A field that does not parse
// marks what it feeds (Savings.Bad), so that one bad value fails one
// screen, not every hop of the person.
func fillParticipant(p *program.Person, f, group map[string]string) {
	p.Role, p.Name, p.Lang = program.Participant, f["name"], language(f)
	p.Community, p.District, p.Region = f["comm"], f["dist"], f["reg"]
	p.Group, p.Coach, p.PINSet = f["grp"], f["coach"], f["pin"] != ""
	if sv := f["sav"]; sv != "" {
		cents, asOf, _ := strings.Cut(sv, "|")
		n, err := strconv.ParseInt(cents, 10, 64)
		if err != nil {
			p.Savings = &program.Savings{Bad: fmt.Sprintf("stored savings %q: %v", sv, err)}
		} else {
			p.Savings = &program.Savings{Cents: n, AsOf: asOf}
		}
	}
	p.Events = append(events(f, ""), events(group, p.Group)...)
}

// Save implements engine.Store: the session lives for the idle time.
func (s *Store) Save(ctx context.Context, sess *engine.Session) error {
	js, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	var set *redis.StatusCmd
	if err := s.batch.do(ctx, func(p redis.Pipeliner) {
		set = p.Set(ctx, s.keys.Session(sess.Phone, sess.ID), js, s.opt.SessionTTL)
	}); err != nil {
		return err
	}
	return set.Err()
}

// SetPIN implements engine.Effects: a first PIN, and past failures
// forgotten, unless a lock holds or another PIN is set (one script).
func (s *Store) SetPIN(ctx context.Context, phone, hash string) (engine.PINCheck, error) {
	keys := []string{s.keys.Person(phone), s.keys.PINFail(phone), s.keys.PINLock(phone)}
	res, err := setPIN.Run(ctx, s.rdb, keys, hash).Int64Slice()
	if err != nil {
		return engine.PINCheck{}, err
	}
	if len(res) != 2 {
		return engine.PINCheck{}, errors.New("pin set: malformed reply")
	}
	return engine.PINCheck{OK: res[0] == 1, LockedFor: time.Duration(res[1]) * time.Millisecond}, nil
}

// VerifyPIN implements engine.Effects.
func (s *Store) VerifyPIN(ctx context.Context, phone, hash, once string) (engine.PINCheck, error) {
	keys := []string{s.keys.Person(phone), s.keys.PINFail(phone), s.keys.PINLock(phone), s.keys.Once(once)}
	res, err := verifyPIN.Run(ctx, s.rdb, keys, hash, s.opt.PINTries, s.opt.PINLock.Milliseconds(), s.opt.OnceTTL.Milliseconds()).Int64Slice()
	if err != nil {
		return engine.PINCheck{}, err
	}
	if len(res) != 3 {
		return engine.PINCheck{}, errors.New("pin verify: malformed reply")
	}
	return engine.PINCheck{OK: res[0] == 1, Left: int(res[1]), LockedFor: time.Duration(res[2]) * time.Millisecond}, nil
}

// RequestCallback implements engine.Effects: one request a day per
// participant, in the participant's local day.
func (s *Store) RequestCallback(ctx context.Context, p *program.Person, at time.Time, once string) (bool, error) {
	member := p.Phone + "|" + strconv.FormatInt(at.UnixMilli(), 10)
	keys := []string{s.keys.CallbackDay(p.Phone, at.Format("20060102")), s.keys.Callbacks(p.Coach), s.keys.Once(once)}
	n, err := requestCallback.Run(ctx, s.rdb, keys, member, at.UnixMilli(), (48 * time.Hour).Milliseconds(), 100, s.opt.OnceTTL.Milliseconds()).Int()
	return n == 1, err
}

// SetLanguage records the person's own choice, which imports do not undo.
func (s *Store) SetLanguage(ctx context.Context, p *program.Person, lang string) error {
	key := s.keys.Person(p.Phone)
	if p.Role == program.Coach {
		key = s.keys.Coach(p.Phone)
	}
	return s.rdb.HSet(ctx, key, "ulang", lang).Err()
}

// CoachAgenda implements engine.Effects: the groups' events and each
// member's own visits, in two round trips.
func (s *Store) CoachAgenda(ctx context.Context, groups []string) (out []program.Event, err error) {
	pipe := s.rdb.Pipeline()
	gev := make([]*redis.MapStringStringCmd, len(groups))
	mem := make([]*redis.StringSliceCmd, len(groups))
	for i, g := range groups {
		gev[i] = pipe.HGetAll(ctx, s.keys.Group(g))
		mem[i] = pipe.SMembers(ctx, s.keys.Members(g))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	var phones []string
	for i, g := range groups {
		out = append(out, events(gev[i].Val(), g)...)
		phones = append(phones, mem[i].Val()...)
	}
	defer func() {
		if err == nil {
			err = s.resolve(ctx, out)
		}
	}()
	pipe = s.rdb.Pipeline()
	pev := make([]*redis.MapStringStringCmd, len(phones))
	for i, ph := range phones {
		pev[i] = pipe.HGetAll(ctx, s.keys.Person(ph))
	}
	if len(phones) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, err
		}
	}
	for i := range phones {
		f := pev[i].Val()
		for _, e := range events(f, "") {
			e.Who = f["name"]
			out = append(out, e)
		}
	}
	return out, nil
}

// Callbacks implements engine.Effects: the newest requests first.
func (s *Store) Callbacks(ctx context.Context, coach string) ([]program.Callback, error) {
	members, err := s.rdb.ZRevRange(ctx, s.keys.Callbacks(coach), 0, 49).Result()
	if err != nil {
		return nil, err
	}
	pipe := s.rdb.Pipeline()
	names := make([]*redis.StringCmd, len(members))
	out := make([]program.Callback, len(members))
	for i, m := range members {
		phone, ms, _ := strings.Cut(m, "|")
		n, _ := strconv.ParseInt(ms, 10, 64)
		out[i] = program.Callback{Phone: phone, At: time.UnixMilli(n)}
		names[i] = pipe.HGet(ctx, s.keys.Person(phone), "name")
	}
	if len(members) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			return nil, err
		}
	}
	for i := range out {
		out[i].Name = names[i].Val()
	}
	return out, nil
}

// SaveSnapshot implements engine.Snapshots.
func (s *Store) SaveSnapshot(ctx context.Context, version string, files map[string][]byte) error {
	js, err := json.Marshal(files)
	if err != nil {
		return err
	}
	return s.rdb.Set(ctx, s.keys.FlowSet(version), js, s.opt.SnapshotTTL).Err()
}

// LoadSnapshot implements engine.Snapshots.
func (s *Store) LoadSnapshot(ctx context.Context, version string) (map[string][]byte, error) {
	js, err := s.rdb.Get(ctx, s.keys.FlowSet(version)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("flows version %s: %w", version, engine.ErrVersionGone)
	}
	if err != nil {
		return nil, fmt.Errorf("flows version %s: %w", version, err)
	}
	files := map[string][]byte{}
	if err := json.Unmarshal(js, &files); err != nil {
		return nil, fmt.Errorf("flows version %s: %w: %w", version, engine.ErrVersionGone, err)
	}
	return files, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// UsedMemory is Redis's used_memory, for benchmarks.
func (s *Store) UsedMemory(ctx context.Context) (int64, error) {
	info, err := s.rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("INFO memory has no used_memory")
}
