package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/sms"
)

// Outgoing messages. A message is a hash (its fields and latest status)
// and a list (its history), so that a step is appended atomically without
// reading the message first.

// smsTTL keeps delivery records for the program's monthly reports.
const smsTTL = 90 * 24 * time.Hour

// smsLogMax bounds the index `willay sms log` reads.
const smsLogMax = 200_000

// tallyLua keeps a broadcast's outcome counters (bc:{id} fields
// n:{status}) as its messages' statuses change: the summary check reads
// them, not every recipient's message. It is part of every script that
// writes a message's status, and reaches the broadcast's hash, named by
// the message's bc field, through the start of a broadcast key (Keys.Broadcast("")); a broadcast whose hash
// expired is not made again.
const tallyLua = `
local function tally(bcstart, msg, old, new)
  if old == new then return end
  local bc = redis.call('HGET', msg, 'bc')
  if not bc or bc == '' then return end
  local k = bcstart .. bc
  if redis.call('EXISTS', k) == 0 then return end
  if old then redis.call('HINCRBY', k, 'n:' .. old, -1) end
  redis.call('HINCRBY', k, 'n:' .. new, 1)
end
`

// createMessage stores a new message unless its ID exists, or its phone's
// daily quota is used up (counted here, in the write a send makes anyway),
// and lists it for the requeuer, which checks later that it reached the
// queue.
//
// KEYS[1] message hash, KEYS[2] history list, KEYS[3] log index, KEYS[4]
// the phone's quota counter of the day, KEYS[5] the requeuer's list.
// ARGV[1] TTL ms, ARGV[2] log score (unix ms), ARGV[3] id, ARGV[4] first
// step JSON, ARGV[5] index size, ARGV[6] quota (0: none), ARGV[7] quota
// counter TTL ms, ARGV[8] the start of a broadcast's key (Keys.Broadcast(""), for the tally), ARGV[9..] field/value
// pairs (status among them).
// Returns 1 when created, 0 when the ID was taken, -1 over the quota.
var createMessage = redis.NewScript(tallyLua + `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local quota = tonumber(ARGV[6])
if quota > 0 then
  local n = tonumber(redis.call('GET', KEYS[4]) or '0')
  if n >= quota then return -1 end
  redis.call('INCR', KEYS[4])
  if n == 0 then redis.call('PEXPIRE', KEYS[4], ARGV[7]) end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 9))
tally(ARGV[8], KEYS[1], false, redis.call('HGET', KEYS[1], 'status'))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -tonumber(ARGV[5]) - 1)
redis.call('ZADD', KEYS[5], ARGV[2], ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -tonumber(ARGV[5]) - 1)
return 1
`)

// CreateMessage stores a new message with its first step. It returns false,
// and changes nothing, when a message with that ID exists: the ID is the
// idempotency key.
func (s *Store) CreateMessage(ctx context.Context, m *sms.Message) (bool, error) {
	step, _ := json.Marshal(m.History[len(m.History)-1])
	keys := []string{s.keys.SMS(m.ID), s.keys.SMSHistory(m.ID), s.keys.SMSLog(), s.keys.SMSQuota(m.To, m.Quota.Day), s.keys.SMSToCheck()}
	args := []any{smsTTL.Milliseconds(), m.History[0].At.UnixMilli(), m.ID, step, smsLogMax,
		m.Quota.PerDay, quotaTTL.Milliseconds(), s.keys.Broadcast(""),
		"to", m.To, "lang", m.Lang, "text", m.Text, "enc", m.Encoding, "seg", m.Segments, "kind", m.Kind,
		"exempt", boolField(m.Exempt), "status", string(m.Status()), "rank", rank[m.Status()]}
	if m.Broadcast != "" {
		args = append(args, "bc", m.Broadcast)
	}
	n, err := createMessage.Run(ctx, s.rdb, keys, args...).Int()
	if n == -1 {
		return false, sms.ErrOverQuota
	}
	return n == 1, err
}

// quotaTTL keeps a day's quota counter past the end of any timezone's day.
const quotaTTL = 48 * time.Hour

func boolField(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// appendStep adds a step to a message's history and moves its status
// forward, never back nor from one final status to another: providers'
// callbacks arrive out of order, and a message delivered stays delivered
// (see rank). A step with the provider's error 21610 (the person replied
// STOP at the carrier) opts out the message's stored recipient. When the
// step records the provider's SID, the status reports that came before it
// (KEYS[4]) are applied after it, in the order they came.
//
// KEYS[1] message hash, KEYS[2] history list, KEYS[3] SID index key,
// KEYS[4] the SID's early reports (both unused without a SID).
// ARGV[1] step JSON (sms.Step), ARGV[2] SID (may be empty), ARGV[3] TTL
// ms, ARGV[4] message id, ARGV[5] the start of an opt-out key
// (Keys.OptOut(""), to reach the recipient's, named in the hash), ARGV[6]
// the start of a broadcast's key (Keys.Broadcast(""), for the tally).
// Returns 1 when the status moved, 0 when only the history grew, -1 when
// the message does not exist.
var appendStep = redis.NewScript(tallyLua + `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local rank = {queued = 0, sending = 1, sent = 2, delivered = 3, undelivered = 3, failed = 3}
local function apply(js)
  local st = cjson.decode(js)
  redis.call('RPUSH', KEYS[2], js)
  if st.c == 21610 then
    redis.call('SET', ARGV[5] .. redis.call('HGET', KEYS[1], 'to'), '1')
  end
  local cur = tonumber(redis.call('HGET', KEYS[1], 'rank') or '0')
  local r = rank[st.s] or 0
  if r > cur then
    local old = redis.call('HGET', KEYS[1], 'status')
    redis.call('HSET', KEYS[1], 'status', st.s, 'rank', r)
    tally(ARGV[6], KEYS[1], old, st.s)
    return 1
  end
  return 0
end
local moved = apply(ARGV[1])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'sid', ARGV[2])
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[3])
  for _, js in ipairs(redis.call('LRANGE', KEYS[4], 0, -1)) do
    moved = math.max(moved, apply(js))
  end
  redis.call('DEL', KEYS[4])
end
return moved
`)

// rank orders statuses: a message's status only moves to a higher rank,
// so queued → sending → sent → one of delivered, undelivered, failed, and
// the first final status stays. Every report is kept in the history.
var rank = map[sms.Status]int{sms.Queued: 0, sms.Sending: 1, sms.Sent: 2, sms.Delivered: 3, sms.Undelivered: 3, sms.Failed: 3}

// AddStep records a step of message id; sid, when given, is the provider's
// ID, indexed for status callbacks. It reports whether the message exists.
func (s *Store) AddStep(ctx context.Context, id string, st sms.Step, sid string) (bool, error) {
	js, _ := json.Marshal(st)
	keys := []string{s.keys.SMS(id), s.keys.SMSHistory(id), s.keys.SMSBySID(sid), s.keys.SMSPending(sid)}
	n, err := appendStep.Run(ctx, s.rdb, keys, js, sid, smsTTL.Milliseconds(), id, s.keys.OptOut(""), s.keys.Broadcast("")).Int()
	return n >= 0, err
}

// pendingTTL is how long a status report waits for its message's SID to
// be recorded: a worker records it right after the provider answers, so
// this only runs out when the report is for no message of ours.
const pendingTTL = 24 * time.Hour

// pendingMax bounds the reports kept for one SID.
const pendingMax = 20

// reportStatus finds the message a provider's status report is for, or
// keeps the report until the worker records the SID: the provider may
// report (even a failure) before its answer to the send reaches us.
//
// KEYS[1] SID index key, KEYS[2] the SID's early reports.
// ARGV[1] step JSON, ARGV[2] TTL ms, ARGV[3] reports kept at most.
// Returns the message id (the caller applies the step), or "" when the
// report was kept.
var reportStatus = redis.NewScript(`
local id = redis.call('GET', KEYS[1])
if id then return id end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return ''
`)

// ReportStatus records a provider's status report of the message with SID
// sid. It returns the message's id, or "" when the SID is not recorded
// yet: the report is then kept and applied when it is (see appendStep).
// Reports are idempotent in effect: a repeat adds a history line and moves
// nothing.
func (s *Store) ReportStatus(ctx context.Context, sid string, st sms.Step) (string, error) {
	js, _ := json.Marshal(st)
	keys := []string{s.keys.SMSBySID(sid), s.keys.SMSPending(sid)}
	id, err := reportStatus.Run(ctx, s.rdb, keys, js, pendingTTL.Milliseconds(), pendingMax).Text()
	if err != nil || id == "" {
		return "", err
	}
	_, err = s.AddStep(ctx, id, st, "")
	return id, err
}

// MessageBySID finds the message a provider's ID belongs to ("" if none).
func (s *Store) MessageBySID(ctx context.Context, sid string) (string, error) {
	id, err := s.rdb.Get(ctx, s.keys.SMSBySID(sid)).Result()
	if err == redis.Nil {
		return "", nil
	}
	return id, err
}

// Message reads a message with its history; nil when there is none.
func (s *Store) Message(ctx context.Context, id string) (*sms.Message, error) {
	pipe := s.rdb.Pipeline()
	h := pipe.HGetAll(ctx, s.keys.SMS(id))
	l := pipe.LRange(ctx, s.keys.SMSHistory(id), 0, -1)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, err
	}
	f := h.Val()
	if len(f) == 0 {
		return nil, nil
	}
	seg, _ := strconv.Atoi(f["seg"])
	m := &sms.Message{ID: id, To: f["to"], Lang: f["lang"], Text: f["text"], Encoding: f["enc"], Segments: seg,
		Kind: f["kind"], Exempt: f["exempt"] == "1", Broadcast: f["bc"], SID: f["sid"], State: sms.Status(f["status"])}
	for _, js := range l.Val() {
		var st sms.Step
		if err := json.Unmarshal([]byte(js), &st); err != nil {
			return nil, fmt.Errorf("message %s history: %w", id, err)
		}
		m.History = append(m.History, st)
	}
	return m, nil
}

// Messages lists the newest messages first, at most limit, those to phone
// and in status when they are not empty.
func (s *Store) Messages(ctx context.Context, phone string, status sms.Status, limit int) ([]*sms.Message, error) {
	var out []*sms.Message
	for start := int64(0); len(out) < limit; start += 500 {
		ids, err := s.rdb.ZRevRange(ctx, s.keys.SMSLog(), start, start+499).Result()
		if err != nil || len(ids) == 0 {
			return out, err
		}
		for _, id := range ids {
			m, err := s.Message(ctx, id)
			if err != nil {
				return nil, err
			}
			if m == nil || (phone != "" && m.To != phone) || (status != "" && m.Status() != status) {
				continue
			}
			if out = append(out, m); len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// SetOptOut records that phone does (or no longer does) want reminders and
// broadcasts, whoever the phone belongs to.
func (s *Store) SetOptOut(ctx context.Context, phone string, out bool) error {
	if out {
		return s.rdb.Set(ctx, s.keys.OptOut(phone), "1", 0).Err()
	}
	return s.rdb.Del(ctx, s.keys.OptOut(phone)).Err()
}

// OptedOut tells whether phone asked for no more messages.
func (s *Store) OptedOut(ctx context.Context, phone string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.keys.OptOut(phone)).Result()
	return n == 1, err
}

// SetInvalid records that a provider refused phone as a number that takes
// no SMS, with its code, for staff to see.
func (s *Store) SetInvalid(ctx context.Context, phone string, code int) error {
	return s.rdb.Set(ctx, s.keys.Invalid(phone), code, 0).Err()
}

// answerTTL is how long an incoming message's answer is kept under its
// identity: a repeat of the message within it (the provider's retry, a
// replay from the spool, a replayed request) changes nothing.
const answerTTL = 30 * 24 * time.Hour

// beginInbound admits an incoming message in one round trip: a message
// answered before gets its answer back; otherwise the loop guard counts
// the number's messages per minute and mutes a number that sends too
// many, so that two auto-responders cannot loop through the account.
//
// KEYS[1] the message's answer key, KEYS[2] the number's counter for the
// minute, KEYS[3] its mute key.
// ARGV[1] messages allowed a minute, ARGV[2] mute seconds.
// Returns {0} admit, {1, answer JSON} repeat, {2} over the limit now (say
// so once), {3} muted (ignore): sms.Admission's values.
var beginInbound = redis.NewScript(`
local done = redis.call('GET', KEYS[1])
if done then return {1, done} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {3} end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], 120) end
if n <= tonumber(ARGV[1]) then return {0} end
redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
return {2}
`)

// BeginInbound admits message sid from phone, which arrived at `at` (the
// minute it is counted in), with at most perMinute messages a minute. A
// repeat comes with the answer it had.
func (s *Store) BeginInbound(ctx context.Context, phone, sid string, perMinute int, at time.Time) (sms.Admission, sms.Answer, error) {
	minute := at.UTC().Format("200601021504")
	keys := []string{s.keys.Answer(phone, sid), s.keys.InRate(phone, minute), s.keys.Muted(phone)}
	res, err := beginInbound.Run(ctx, s.rdb, keys, perMinute, int((15 * time.Minute).Seconds())).Slice()
	if err != nil {
		return sms.Admit, sms.Answer{}, err
	}
	code, _ := res[0].(int64)
	if sms.Admission(code) != sms.Repeat {
		return sms.Admission(code), sms.Answer{}, nil
	}
	js, _ := res[1].(string)
	var a sms.Answer
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		return sms.Admit, a, fmt.Errorf("answer of %s: %w", sid, err)
	}
	return sms.Repeat, a, nil
}

// keepAnswer keeps the first answer to an incoming message.
//
// KEYS[1] the message's answer key.
// ARGV[1] answer JSON, ARGV[2] TTL ms.
// Returns the answer kept: ARGV[1], or the one a concurrent copy of the
// message kept first.
var keepAnswer = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return ARGV[1] end
return redis.call('GET', KEYS[1])
`)

// KeepAnswer records a as the answer to message sid from phone and returns
// the answer kept: a, or the first one when the message was answered
// meanwhile (two copies of it in flight at once).
func (s *Store) KeepAnswer(ctx context.Context, phone, sid string, a sms.Answer) (sms.Answer, error) {
	js, _ := json.Marshal(a)
	kept, err := keepAnswer.Run(ctx, s.rdb, []string{s.keys.Answer(phone, sid)}, js, answerTTL.Milliseconds()).Text()
	if err != nil {
		return a, err
	}
	var out sms.Answer
	if err := json.Unmarshal([]byte(kept), &out); err != nil {
		return a, fmt.Errorf("answer of %s: %w", sid, err)
	}
	return out, nil
}

// claimMessage takes a queued message for sending in one round trip: it
// reads what the sender needs, refuses a message already done, records an
// opted-out recipient's refusal, and otherwise records "sending".
//
// KEYS[1] message hash, KEYS[2] history list.
// ARGV[1] the start of an opt-out key (Keys.OptOut("")), to reach the
// recipient's, named in the hash, ARGV[2] the "sending" step JSON, ARGV[3]
// the opted-out step JSON, ARGV[4] the start of a broadcast's key
// (Keys.Broadcast(""), for the tally).
// Returns {-1} no such message, {0} already sent or final, {2} opted out
// (recorded failed), or {1, to, text}.
var claimMessage = redis.NewScript(tallyLua + `
local f = redis.call('HMGET', KEYS[1], 'to', 'text', 'status', 'exempt')
if not f[1] then return {-1} end
local st = f[3]
if st == 'sent' or st == 'delivered' or st == 'undelivered' or st == 'failed' then return {0} end
if f[4] ~= '1' and redis.call('EXISTS', ARGV[1] .. f[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[3])
  redis.call('HSET', KEYS[1], 'status', 'failed', 'rank', 3)
  tally(ARGV[4], KEYS[1], st, 'failed')
  return {2}
end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'status', 'sending', 'rank', 1)
tally(ARGV[4], KEYS[1], st, 'sending')
return {1, f[1], f[2]}
`)

// ClaimMessage takes message id for sending at now (see claimMessage).
func (s *Store) ClaimMessage(ctx context.Context, id string, now time.Time) (sms.Claim, error) {
	sending, _ := json.Marshal(sms.Step{Status: sms.Sending, At: now})
	out, _ := json.Marshal(sms.Step{Status: sms.Failed, At: now, Error: "opted out: not sent"})
	res, err := claimMessage.Run(ctx, s.rdb, []string{s.keys.SMS(id), s.keys.SMSHistory(id)}, s.keys.OptOut(""), sending, out, s.keys.Broadcast("")).Slice()
	if err != nil {
		return sms.Claim{}, err
	}
	code, _ := res[0].(int64)
	switch code {
	case -1:
		return sms.Claim{Outcome: sms.ClaimMissing}, nil
	case 0:
		return sms.Claim{Outcome: sms.ClaimDone}, nil
	case 2:
		return sms.Claim{Outcome: sms.ClaimOptedOut}, nil
	}
	to, _ := res[1].(string)
	text, _ := res[2].(string)
	return sms.Claim{Outcome: sms.ClaimSend, To: to, Text: text}, nil
}

// MessagesExist tells, for each ID, whether a message was ever made with it.
func (s *Store) MessagesExist(ctx context.Context, ids []string) ([]bool, error) {
	out := make([]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.Exists(ctx, s.keys.SMS(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	for i, c := range cmds {
		out[i] = c.Val() == 1
	}
	return out, nil
}

// Storing a message and putting it on the queue are two steps (asynq
// writes its task itself): a Redis stall between them leaves a message
// stored as queued with no task, which nothing would ever send. Every new
// message is listed in smscheck (by createMessage); the requeuer reads
// those older than a grace, and puts back on the queue any still queued
// with no task.

// Stranded lists up to n messages stored before t and not yet checked,
// oldest first, and tells for each whether it is stranded: still queued,
// with no task on the queue. The task is looked for before the status is
// read: a task that finished in between leaves a status past queued, never
// a message taken for stranded while it is being sent.
func (s *Store) Stranded(ctx context.Context, t time.Time, n int64) (ids []string, stranded []bool, err error) {
	ids, err = s.rdb.ZRangeByScore(ctx, s.keys.SMSToCheck(), &redis.ZRangeBy{Min: "-inf",
		Max: strconv.FormatInt(t.UnixMilli(), 10), Count: n}).Result()
	if err != nil || len(ids) == 0 {
		return nil, nil, err
	}
	pipe := s.rdb.Pipeline()
	tasks := make([]*redis.IntCmd, len(ids))
	sts := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		tasks[i] = pipe.Exists(ctx, s.keys.QueueTask(id))
		sts[i] = pipe.HGet(ctx, s.keys.SMS(id), "status")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, err
	}
	stranded = make([]bool, len(ids))
	for i := range ids {
		stranded[i] = tasks[i].Val() == 0 && sts[i].Val() == string(sms.Queued)
	}
	return ids, stranded, nil
}

// Checked takes messages off the requeuer's list.
func (s *Store) Checked(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	ms := make([]any, len(ids))
	for i, id := range ids {
		ms[i] = id
	}
	return s.rdb.ZRem(ctx, s.keys.SMSToCheck(), ms...).Err()
}
