package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/sms"
)

// Broadcasts. A broadcast is a hash (its JSON, status, when it was queued,
// how many recipients are queued (cursor), and its messages' outcome
// counters n:{status}, kept by the message scripts' tally) with its
// recipients in a list; bc:due orders those waiting to be queued by time
// (a dispatcher's claim, and each page it queues, push the score one lease
// ahead), bc:open those queued and waiting for their summary.

const broadcastTTL = 90 * 24 * time.Hour

// broadcastLogMax bounds the log of every broadcast, whatever their age.
const broadcastLogMax = 10_000

// KEYS[1] broadcast hash, KEYS[2] the sender's day counter, KEYS[3] the
// sender's list, KEYS[4] the log, KEYS[5] the due set.
// ARGV[1] JSON, ARGV[2] daily limit (0: none), ARGV[3] due (unix ms),
// ARGV[4] created (unix ms), ARGV[5] id, ARGV[6] TTL ms, ARGV[7] how many
// broadcasts the log keeps. The sender's list and the log keep no
// broadcast older than its hash's TTL.
// Returns 1 created, 0 the ID exists, -1 over the limit.
var createBroadcast = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local lim = tonumber(ARGV[2])
if lim > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= lim then return -1 end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'status', 'scheduled', 'tally', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if lim > 0 then
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], 172800)
end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -51)
redis.call('PEXPIRE', KEYS[3], ARGV[6])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[4]) - tonumber(ARGV[6]))
redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -tonumber(ARGV[7]) - 1)
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[5])
return 1
`)

// CreateBroadcast implements broadcast.Store.
func (s *Store) CreateBroadcast(ctx context.Context, b *broadcast.Broadcast, to []string, limit int, day string) (bool, error) {
	if n, err := s.rdb.Exists(ctx, s.keys.Broadcast(b.ID)).Result(); err != nil || n > 0 {
		return false, err
	}
	js, err := json.Marshal(b)
	if err != nil {
		return false, err
	}
	// The list is written whole in one transaction: a repeated request
	// writes the same list again, never half of it.
	list := s.keys.BroadcastTo(b.ID)
	if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, list)
		for i := 0; i < len(to); i += 1000 {
			chunk := to[i:min(i+1000, len(to))]
			vals := make([]any, len(chunk))
			for j, ph := range chunk {
				vals[j] = ph
			}
			p.RPush(ctx, list, vals...)
		}
		p.PExpire(ctx, list, broadcastTTL)
		return nil
	}); err != nil {
		return false, err
	}
	res, err := createBroadcast.Run(ctx, s.rdb, []string{s.keys.Broadcast(b.ID), s.keys.BroadcastDay(b.By, day),
		s.keys.BroadcastsBy(b.By), s.keys.BroadcastsLog(), s.keys.BroadcastsDue()},
		string(js), limit, b.At.UnixMilli(), b.Created.UnixMilli(), b.ID, broadcastTTL.Milliseconds(), broadcastLogMax).Int()
	switch {
	case err != nil:
		return false, err
	case res < 0:
		s.rdb.Del(ctx, list)
		return false, broadcast.ErrLimit
	}
	return res == 1, nil
}

// Broadcast implements broadcast.Store.
func (s *Store) Broadcast(ctx context.Context, id string) (*broadcast.Broadcast, error) {
	bs, err := s.broadcasts(ctx, []string{id})
	if err != nil || len(bs) == 0 {
		return nil, err
	}
	return bs[0], nil
}

func (s *Store) broadcasts(ctx context.Context, ids []string) ([]*broadcast.Broadcast, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HMGet(ctx, s.keys.Broadcast(id), broadcastFields...)
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, err
		}
	}
	var out []*broadcast.Broadcast
	for _, c := range cmds {
		v := c.Val()
		js, _ := v[0].(string)
		if js == "" {
			continue // expired
		}
		b := &broadcast.Broadcast{}
		if err := json.Unmarshal([]byte(js), b); err != nil {
			return nil, fmt.Errorf("broadcast: %w", err)
		}
		st, _ := v[1].(string)
		b.Status = broadcast.Status(st)
		if q, _ := v[2].(string); q != "" {
			ms, _ := strconv.ParseInt(q, 10, 64)
			b.QueuedAt = time.UnixMilli(ms)
		}
		c, _ := v[3].(string)
		b.Cursor, _ = strconv.ParseInt(c, 10, 64)
		if t, _ := v[4].(string); t == "1" {
			b.Outcomes = map[sms.Status]int{}
			for i, st := range outcomes {
				n, _ := v[5+i].(string)
				if k, _ := strconv.Atoi(n); k != 0 {
					b.Outcomes[st] = k
				}
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// outcomes are the statuses a broadcast's messages are counted by.
var outcomes = []sms.Status{sms.Queued, sms.Sending, sms.Sent, sms.Delivered, sms.Undelivered, sms.Failed}

// broadcastFields are the fields of a broadcast's hash read with it.
var broadcastFields = func() []string {
	f := []string{"json", "status", "queued", "cursor", "tally"}
	for _, st := range outcomes {
		f = append(f, "n:"+string(st))
	}
	return f
}()

// BroadcastsBy implements broadcast.Store; by "" lists everyone's.
func (s *Store) BroadcastsBy(ctx context.Context, by string, n int64) ([]*broadcast.Broadcast, error) {
	key := s.keys.BroadcastsLog()
	if by != "" {
		key = s.keys.BroadcastsBy(by)
	}
	ids, err := s.rdb.ZRevRange(ctx, key, 0, n-1).Result()
	if err != nil {
		return nil, err
	}
	return s.broadcasts(ctx, ids)
}

// SentOn implements broadcast.Store.
func (s *Store) SentOn(ctx context.Context, by, day string) (int, error) {
	n, err := s.rdb.Get(ctx, s.keys.BroadcastDay(by, day)).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}

// Recipients implements broadcast.Store.
func (s *Store) Recipients(ctx context.Context, id string, from, n int64) ([]string, error) {
	return s.rdb.LRange(ctx, s.keys.BroadcastTo(id), from, from+n-1).Result()
}

// KEYS[1] the due set. ARGV[1] now (unix ms), ARGV[2] lease ms, ARGV[3]
// the start of a broadcast hash's key (Keys.Broadcast("")), to reach it. Returns the ID claimed, or
// "". Entries of broadcasts cancelled, expired or finished are dropped.
var claimBroadcast = redis.NewScript(`
for i = 1, 50 do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
  if #ids == 0 then return '' end
  local id = ids[1]
  local k = ARGV[3] .. id
  local st = redis.call('HGET', k, 'status')
  if st == 'scheduled' or st == 'sending' then
    redis.call('HSET', k, 'status', 'sending')
    redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
    return id
  end
  redis.call('ZREM', KEYS[1], id)
end
return ''
`)

// ClaimBroadcast implements broadcast.Store.
func (s *Store) ClaimBroadcast(ctx context.Context, now time.Time, lease time.Duration) (string, error) {
	return claimBroadcast.Run(ctx, s.rdb, []string{s.keys.BroadcastsDue()}, now.UnixMilli(), lease.Milliseconds(), s.keys.Broadcast("")).Text()
}

// KEYS[1] broadcast hash, KEYS[2] due set.
// ARGV[1] id, ARGV[2] cursor, ARGV[3] the lease's new end (unix ms).
// Returns 1, or 0 when the broadcast is no longer being queued.
var progress = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'sending' then return 0 end
redis.call('HSET', KEYS[1], 'cursor', ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[1])
return 1
`)

// Progress implements broadcast.Store.
func (s *Store) Progress(ctx context.Context, id string, cursor int64, until time.Time) error {
	return progress.Run(ctx, s.rdb, []string{s.keys.Broadcast(id), s.keys.BroadcastsDue()}, id, cursor, until.UnixMilli()).Err()
}

// KEYS[1] broadcast hash, KEYS[2] due set, KEYS[3] open set.
// ARGV[1] id, ARGV[2] now (unix ms).
var markQueued = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'sending' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'queued', 'queued', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1
`)

// MarkQueued implements broadcast.Store.
func (s *Store) MarkQueued(ctx context.Context, id string, now time.Time) error {
	return markQueued.Run(ctx, s.rdb, []string{s.keys.Broadcast(id), s.keys.BroadcastsDue(), s.keys.BroadcastsOpen()},
		id, now.UnixMilli()).Err()
}

// Open implements broadcast.Store.
func (s *Store) Open(ctx context.Context) ([]string, error) {
	return s.rdb.ZRange(ctx, s.keys.BroadcastsOpen(), 0, -1).Result()
}

// KEYS[1] broadcast hash, KEYS[2] open set. ARGV[1] id. A broadcast whose
// hash has expired only leaves the open set.
var markDone = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'status', 'done') end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`)

// MarkDone implements broadcast.Store.
func (s *Store) MarkDone(ctx context.Context, id string) error {
	return markDone.Run(ctx, s.rdb, []string{s.keys.Broadcast(id), s.keys.BroadcastsOpen()}, id).Err()
}

// KEYS[1] broadcast hash, KEYS[2] due set, KEYS[3] the sender's day
// counter. ARGV[1] id. A cancelled broadcast does not count toward the
// daily limit: cancelling is how a coach undoes a mistake.
var cancelBroadcast = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'scheduled' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'cancelled')
redis.call('ZREM', KEYS[2], ARGV[1])
if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
return 1
`)

// CancelBroadcast implements broadcast.Store.
func (s *Store) CancelBroadcast(ctx context.Context, b *broadcast.Broadcast, day string) (bool, error) {
	n, err := cancelBroadcast.Run(ctx, s.rdb, []string{s.keys.Broadcast(b.ID), s.keys.BroadcastsDue(), s.keys.BroadcastDay(b.By, day)}, b.ID).Int()
	return n == 1, err
}

// Members implements broadcast.Store.
func (s *Store) Members(ctx context.Context, groups []string) ([]string, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	keys := make([]string, len(groups))
	for i, g := range groups {
		keys[i] = s.keys.Members(g)
	}
	return s.rdb.SUnion(ctx, keys...).Result()
}

// Where implements broadcast.Store: a scan of every participant.
func (s *Store) Where(ctx context.Context, communities, districts []string) ([]string, error) {
	in := func(xs []string, x string) bool {
		for _, y := range xs {
			if y == x {
				return true
			}
		}
		return false
	}
	var out []string
	var cursor uint64
	for {
		keys, next, err := s.rdb.Scan(ctx, cursor, s.keys.People(), 1000).Result()
		if err != nil {
			return nil, err
		}
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.SliceCmd, len(keys))
		for i, k := range keys {
			cmds[i] = pipe.HMGet(ctx, k, "comm", "dist")
		}
		if len(keys) > 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return nil, err
			}
		}
		for i, c := range cmds {
			comm, _ := c.Val()[0].(string)
			dist, _ := c.Val()[1].(string)
			if (comm != "" && in(communities, comm)) || (dist != "" && in(districts, dist)) {
				out = append(out, s.keys.PhoneOf(keys[i]))
			}
		}
		if cursor = next; cursor == 0 {
			return out, nil
		}
	}
}

// People implements broadcast.Store, with each participant's coach's name
// (from the cache, the rest in a second pipeline).
func (s *Store) People(ctx context.Context, phones []string) ([]broadcast.Recipient, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(phones))
	for i, ph := range phones {
		cmds[i] = pipe.HMGet(ctx, s.keys.Person(ph), "name", "lang", "ulang", "coach")
	}
	if len(phones) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]broadcast.Recipient, len(phones))
	coaches := map[string]*redis.StringCmd{}
	names := map[string]string{}
	cpipe := s.rdb.Pipeline()
	for i, c := range cmds {
		v := c.Val()
		name, _ := v[0].(string)
		lang, _ := v[1].(string)
		if u, _ := v[2].(string); u != "" {
			lang = u
		}
		coach, _ := v[3].(string)
		out[i] = broadcast.Recipient{Phone: phones[i], Name: name, Lang: lang, Coach: coach}
		if _, seen := coaches[coach]; coach == "" || seen {
			continue
		}
		if ci, ok := s.coach.get(coach); ok {
			names[coach], coaches[coach] = ci.name, nil
			continue
		}
		coaches[coach] = cpipe.HGet(ctx, s.keys.Coach(coach), "name")
	}
	if cpipe.Len() > 0 {
		if _, err := cpipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
	}
	for coach, c := range coaches {
		if c != nil {
			names[coach] = c.Val()
		}
	}
	for i := range out {
		out[i].CoachName = names[out[i].Coach]
	}
	return out, nil
}

// MessageStatuses implements broadcast.Store.
func (s *Store) MessageStatuses(ctx context.Context, ids []string) ([]sms.Status, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, s.keys.SMS(id), "status")
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
	}
	out := make([]sms.Status, len(ids))
	for i, c := range cmds {
		out[i] = sms.Status(c.Val())
	}
	return out, nil
}
