package redisstore

import "github.com/redis/go-redis/v9"

// verifyPIN checks a PIN attempt, counts failures and locks after too many,
// once per hop.
//
// KEYS[1] participant hash, KEYS[2] failure counter, KEYS[3] lock key,
// KEYS[4] once key of this hop.
// ARGV[1] keyed hash of the attempt, ARGV[2] tries before the lock,
// ARGV[3] lock (and failure window) in ms, ARGV[4] once TTL in ms.
// Returns {status, tries left, lock ms}: status 1 right, 0 wrong, -1 locked.
var verifyPIN = redis.NewScript(`
local done = redis.call('GET', KEYS[4])
if done then return cjson.decode(done) end
local res
local lock = redis.call('PTTL', KEYS[3])
if lock > 0 then
  res = {-1, 0, lock}
elseif redis.call('HGET', KEYS[1], 'pin') == ARGV[1] then
  redis.call('DEL', KEYS[2])
  res = {1, tonumber(ARGV[2]), 0}
else
  local n = redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  if n >= tonumber(ARGV[2]) then
    redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
    redis.call('DEL', KEYS[2])
    res = {-1, 0, tonumber(ARGV[3])}
  else
    res = {0, tonumber(ARGV[2]) - n, 0}
  end
end
redis.call('SET', KEYS[4], cjson.encode(res), 'PX', ARGV[4])
return res
`)

// setPIN sets a first PIN unless a lock holds or another PIN is set: a
// stale session must not replace a PIN, nor lift a lock.
//
// KEYS[1] participant hash, KEYS[2] failure counter, KEYS[3] lock key.
// ARGV[1] keyed hash of the new PIN.
// Returns {status, lock ms}: status 1 set (or already this one, which
// forgets past failures), 0 another PIN is set, -1 locked.
var setPIN = redis.NewScript(`
local lock = redis.call('PTTL', KEYS[3])
if lock > 0 then return {-1, lock} end
local cur = redis.call('HGET', KEYS[1], 'pin')
if cur and cur ~= ARGV[1] then return {0, 0} end
redis.call('HSET', KEYS[1], 'pin', ARGV[1])
redis.call('DEL', KEYS[2])
return {1, 0}
`)

// requestCallback records a call-back request unless the participant
// already asked today, once per hop.
//
// KEYS[1] the participant's request-of-the-day key, KEYS[2] the coach's
// request list, KEYS[3] once key of this hop.
// ARGV[1] list member ("phone|unixms"), ARGV[2] score (unix ms),
// ARGV[3] day key TTL in ms, ARGV[4] how many requests a coach list keeps,
// ARGV[5] once TTL in ms.
// Returns 1 when recorded, 0 when already asked today.
var requestCallback = redis.NewScript(`
local done = redis.call('GET', KEYS[3])
if done then return tonumber(done) end
local res = 0
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[4]) - 1)
  res = 1
end
redis.call('SET', KEYS[3], res, 'PX', ARGV[5])
return res
`)

// upsertParticipant writes a participant's imported fields and moves them
// between group member sets.
//
// KEYS[1] participant hash, KEYS[2] new group's member set.
// ARGV[1] the start of a member set's key (Keys.Members("")), ARGV[2] phone, ARGV[3..] field/value pairs (grp among them).
// Returns 1.
var upsertParticipant = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], 'grp')
local new
for i = 3, #ARGV, 2 do if ARGV[i] == 'grp' then new = ARGV[i+1] end end
if old and old ~= new then redis.call('SREM', ARGV[1] .. old, ARGV[2]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`)

// keepText stores a place or topic and makes it live at least a given
// time: a text shared by events of many imports keeps the longest life any
// of them gave it, and one stored before texts expired gets a life.
//
// KEYS[1] text key.
// ARGV[1] the text, ARGV[2] how long it must live at least (ms).
// Returns 1 when its life was set, 0 when it already lived longer.
var keepText = redis.NewScript(`
if redis.call('PTTL', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// upsertEvents writes events into a participant's or group's hash and
// drops that hash's events dated before a cutoff, so hashes do not grow
// with the years.
//
// KEYS[1] participant or group hash.
// ARGV[1] cutoff date YYYYMMDD, ARGV[2..] event field and value pairs.
// Returns the number of old events dropped.
var upsertEvents = redis.NewScript(`
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
local dropped = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 'e:' and string.sub(all[i+1], 3, 10) < ARGV[1] then
    redis.call('HDEL', KEYS[1], all[i])
    dropped = dropped + 1
  end
end
return dropped
`)
