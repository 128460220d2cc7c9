package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/program"
)

// Reminders in Redis: a sorted set of the reminders due in the planning
// window, scored by when they go out, and a capped list of skipped ones.
// A member names a reminder as "phone|eventID|ruleID": the same member is
// one reminder, however many times it is planned.

// Due is a planned reminder.
type Due struct {
	Phone, Event, Rule string
	At                 time.Time
}

func (d Due) member() string { return d.Phone + "|" + d.Event + "|" + d.Rule }

// ParseDue reads a member back.
func ParseDue(member string, score float64) (Due, bool) {
	var parts [3]string
	n := 0
	start := 0
	for i := 0; i < len(member) && n < 2; i++ {
		if member[i] == '|' {
			parts[n], start, n = member[start:i], i+1, n+1
		}
	}
	if n != 2 {
		return Due{}, false
	}
	parts[2] = member[start:]
	return Due{Phone: parts[0], Event: parts[1], Rule: parts[2], At: time.Unix(int64(score), 0)}, true
}

// Schedule adds (or moves) reminders in the due set.
func (s *Store) Schedule(ctx context.Context, ds []Due) error {
	if len(ds) == 0 {
		return nil
	}
	zs := make([]redis.Z, len(ds))
	for i, d := range ds {
		zs[i] = redis.Z{Score: float64(d.At.Unix()), Member: d.member()}
	}
	return s.rdb.ZAdd(ctx, s.keys.RemindersDue(), zs...).Err()
}

// DueBy lists reminders due at or before t, oldest first, at most limit,
// after the first offset.
func (s *Store) DueBy(ctx context.Context, t time.Time, offset, limit int64) ([]Due, error) {
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, s.keys.RemindersDue(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(t.Unix(), 10), Offset: offset, Count: limit}).Result()
	if err != nil {
		return nil, err
	}
	out := make([]Due, 0, len(zs))
	for _, z := range zs {
		if d, ok := ParseDue(z.Member.(string), z.Score); ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// Unschedule removes reminders from the due set once sent or dropped.
func (s *Store) Unschedule(ctx context.Context, ds []Due) error {
	if len(ds) == 0 {
		return nil
	}
	ms := make([]any, len(ds))
	for i, d := range ds {
		ms[i] = d.member()
	}
	return s.rdb.ZRem(ctx, s.keys.RemindersDue(), ms...).Err()
}

// Skip records a reminder that will not be sent, and why. Recording the
// same skip again changes nothing; records older than 30 days are dropped.
func (s *Store) Skip(ctx context.Context, d Due, reason string, at time.Time) error {
	key := s.keys.RemindersSkipped()
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAddNX(ctx, key, redis.Z{Score: float64(at.Unix()), Member: d.member() + "|" + reason})
		p.ZRemRangeByScore(ctx, key, "-inf", strconv.FormatInt(at.AddDate(0, 0, -30).Unix(), 10))
		p.ZRem(ctx, s.keys.RemindersDue(), d.member())
		return nil
	})
	return err
}

// Skipped lists recorded skips, newest first: "phone|event|rule|reason".
func (s *Store) Skipped(ctx context.Context, limit int64) ([]string, error) {
	return s.rdb.ZRevRange(ctx, s.keys.RemindersSkipped(), 0, limit-1).Result()
}

// Participants calls fn with every participant, a page at a time, with
// their own and their group's events. Pages are read with one pipeline.
func (s *Store) Participants(ctx context.Context, page int64, fn func([]*program.Person) error) error {
	var cursor uint64
	for {
		keys, next, err := s.rdb.Scan(ctx, cursor, s.keys.People(), page).Result()
		if err != nil {
			return err
		}
		people, err := s.people(ctx, keys)
		if err != nil {
			return err
		}
		if err := fn(people); err != nil {
			return err
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

func (s *Store) people(ctx context.Context, keys []string) ([]*program.Person, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HGetAll(ctx, k)
	}
	if len(keys) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, err
		}
	}
	groups, err := s.groupsOf(ctx, cmds)
	if err != nil {
		return nil, err
	}
	out := make([]*program.Person, 0, len(keys))
	var all []program.Event
	for i, k := range keys {
		f := cmds[i].Val()
		if len(f) == 0 {
			continue
		}
		p := &program.Person{Phone: s.keys.PhoneOf(k)}
		fillParticipant(p, f, groups[f["grp"]])
		out = append(out, p)
		all = append(all, p.Events...)
	}
	if err := s.resolve(ctx, all); err != nil {
		return nil, err
	}
	// resolve worked on a copy of the events: hand the texts back.
	i := 0
	for _, p := range out {
		copy(p.Events, all[i:i+len(p.Events)])
		i += len(p.Events)
	}
	return out, nil
}

// groupsOf reads the events of every group of a page of participants: from
// the cache, and the rest in one pipeline.
func (s *Store) groupsOf(ctx context.Context, people []*redis.MapStringStringCmd) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	var missing []string
	for _, c := range people {
		g := c.Val()["grp"]
		if _, done := out[g]; done || g == "" {
			continue
		}
		if ev, ok := s.group.get(g); ok {
			out[g] = ev
			continue
		}
		out[g] = nil
		missing = append(missing, g)
	}
	if len(missing) == 0 {
		return out, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(missing))
	for i, g := range missing {
		cmds[i] = pipe.HGetAll(ctx, s.keys.Group(g))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	for i, g := range missing {
		out[g] = cmds[i].Val()
		if s.opt.GroupTTL > 0 {
			s.group.put(g, out[g])
		}
	}
	return out, nil
}

// PlanMemory is the memory of what planning writes (the due set and the
// recorded skips), counted exactly: every element, not a sample.
func (s *Store) PlanMemory(ctx context.Context) (int64, error) {
	var total int64
	for _, k := range []string{s.keys.RemindersDue(), s.keys.RemindersSkipped()} {
		n, err := s.rdb.MemoryUsage(ctx, k, 0).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// Backlog counts what waits in Redis: reminders due, skips recorded,
// broadcasts waiting to be queued, and broadcasts waiting for their summary.
func (s *Store) Backlog(ctx context.Context) (map[string]int64, error) {
	keys := map[string]string{"reminders_due": s.keys.RemindersDue(), "reminders_skipped": s.keys.RemindersSkipped(),
		"broadcasts_due": s.keys.BroadcastsDue(), "broadcasts_open": s.keys.BroadcastsOpen()}
	pipe := s.rdb.Pipeline()
	cmds := map[string]*redis.IntCmd{}
	for what, k := range keys {
		cmds[what] = pipe.ZCard(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for what, c := range cmds {
		out[what] = c.Val()
	}
	return out, nil
}
