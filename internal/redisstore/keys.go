// Package redisstore keeps Willay's state in Redis: sessions, participants,
// coaches, events, PIN attempts, call-back requests and flow versions. It
// implements the interfaces of engine and importer.
//
// # Key layout
//
// Every key starts with the configured prefix P (WILLAY_REDIS_PREFIX,
// default "willay:"). This table is the whole layout; nothing else is
// written.
//
//	key                      type    TTL          written by
//	P sess:{phone}:{sessionId} string idle (180s) engine Save: session JSON (keyed input hashes, last reply)
//	P p:{phone}              hash    none         import participants (name lang comm dist reg grp coach),
//	                                              import savings (sav = "cents|YYYY-MM-DD"),
//	                                              import visits/transfers (e:{id} = event, see below),
//	                                              the person (ulang: own language choice; pin: keyed hash, set by the set PIN script)
//	P c:{phone}              hash    none         import coaches (name lang, g:{group} = "1" per group led); ulang as above
//	P g:{group}              hash    none         import visits/transfers for a whole group (e:{id})
//	P gm:{group}             set     none         import participants: member phones
//	P pinfail:{phone}        string  lock window  pin verify script: wrong PINs in a row
//	P pinlock:{phone}        string  30 min       pin verify script: savings locked while it exists
//	P once:{key}             string  1 hour       side-effect scripts: the result of one hop's effect; key = keyed hash of gateway, phone, session, path and node
//	P cb:{coachPhone}        zset    none         callback script: "phone|unixms" scored by unix ms, last 100
//	P cbday:{phone}:{yyyymmdd} string 48 hours    callback script: one request a day
//	P flowset:{version}      string  30 days      serve: JSON of the flow and message files of a version
//	P t:{textId}             string  kept events  import visits/transfers: a place or topic, named by its hash; it lives
//	                                              KeepEvents past the latest event an import wrote with it (never shortened)
//	P sms:{id}               hash    90 days      outbound: an outgoing message (to lang text enc seg kind exempt bc sid status rank;
//	                                              bc: the broadcast it belongs to)
//	P smsh:{id}              list    90 days      outbound: its history, one JSON step per entry
//	P smssid:{sid}           string  90 days      outbound: provider's message SID → id, for status callbacks
//	P smslog                 zset    none         outbound: message ids by creation time (last 200,000)
//	P smscheck               zset    none         outbound: new message ids by creation time, until the requeuer
//	                                              has checked each reached the queue (last 200,000)
//	P smsrate                string  a second     outbound worker: the account-wide send rate (GCRA, WILLAY_SMS_RATE)
//	P smsday:{phone}:{yyyymmdd} string 48 hours   create message script: "send me this by SMS" messages that day, for WILLAY_SMS_REPLY_LIMIT
//	P optout:{phone}         string  none         SMS STOP/BAJA, or provider error 21610: no reminders or broadcasts
//	P invalid:{phone}        string  none         provider errors 21211/21614: the code
//	P outbox                 list    none         the local outbox provider (no Twilio credentials): sent messages (last 10,000)
//	P smsin:{phone}:{sid}    string  30 days      inbound: the answer to an incoming message (JSON), so a repeat of it changes nothing
//	P smspend:{sid}          list    1 day        status callbacks that came before the worker recorded the SID (step JSON), applied when it does
//	P inrate:{phone}:{minute} string 2 minutes    inbound loop guard: messages from a number in a minute
//	P muted:{phone}          string  15 minutes   inbound loop guard: a number sending too many is ignored
//	P imp:{run}              set     6 hours      import visits/transfers: "hashKey\x1feventId" the run brought, for its sweep
//	P rem:due                zset    none         scheduler: reminders due in the planning window, "phone|event|rule" by send time
//	P rem:skipped            zset    none         scheduler: reminders not sent, "phone|event|rule|reason" by when (last 30 days)
//	P bc:{id}                hash    90 days      broadcasts: json (what, to whom, when), status, queued (unix ms),
//	                                              cursor (recipients queued), tally = 1 and n:{status} (its messages
//	                                              by status, kept by the message scripts as each status changes)
//	P bcm:{id}               list    90 days      broadcasts: the recipients' phones, fixed when it was made
//	P bc:due                 zset    none         broadcasts waiting to be queued, by time (a claim moves it one lease ahead)
//	P bc:open                zset    none         broadcasts queued, waiting for their summary, by when queued
//	P bc:log                 zset    none         every broadcast by creation time (last 90 days, at most 10,000)
//	P bcby:{sender}          zset    90 days      a coach's (or staff name's) last 50 broadcasts; each broadcast renews it
//	P bcday:{sender}:{yyyymmdd} string 48 hours   broadcasts a coach made that day, for the daily limit
//	P demo                   string  none         serve in demo mode: this prefix holds made-up people
//	P real                   string  none         a start outside demo mode, an import of people: no demo may seed here
//	asynq:{P sms}:*          (asynq) per asynq    the outgoing queue, in asynq's own layout (queue name "P sms")
//
// Every key is built by a function below, and Lua scripts that reach a key
// they are not given get its name's start from here too. TestKeyTable
// runs a whole day of the service (demo data, hops, SMS in and out, a
// broadcast, reminders) and fails on any key under P this table does not
// name, or whose type or TTL it states wrongly.
//
// An event value is short (see events.go): places and topics are stored once
// under t:{id}. Hashes of a few dozen values of at most 64 bytes stay in
// Redis's compact listpack encoding, which keeps a participant with savings
// and a few events under 1 KiB.
//
// A hop reads the session, the person and the PIN lock in one pipelined
// round trip; a group's events and a coach's name are cached in each server
// for GroupTTL (15 s), so an import reaches running servers within that.
// Scripts touch only the keys they are given, except four that name a key
// from what they read: upsertParticipant (the old group's member set),
// claimBroadcast (the hashes of the broadcasts due), claimMessage and
// appendStep (the recipient's opt-out key, named from the message hash)
// and the message scripts' tally (the bc:{id} their message names).
// Willay runs on one Redis (with a replica or Sentinel for failover), not
// on Redis Cluster.
package redisstore

import "strings"

// Keys builds key names under a prefix.
type Keys struct{ Prefix string }

// Session is keyed by phone too: a session ID reused by another number
// (by mistake or on purpose) never reaches someone else's session.
func (k Keys) Session(phone, id string) string { return k.Prefix + "sess:" + phone + ":" + id }
func (k Keys) Person(phone string) string      { return k.Prefix + "p:" + phone }
func (k Keys) Coach(phone string) string       { return k.Prefix + "c:" + phone }
func (k Keys) Group(g string) string           { return k.Prefix + "g:" + g }
func (k Keys) Members(g string) string         { return k.Prefix + "gm:" + g }
func (k Keys) PINFail(phone string) string {
	return k.Prefix + "pinfail:" + phone
}
func (k Keys) PINLock(phone string) string { return k.Prefix + "pinlock:" + phone }
func (k Keys) Once(key string) string      { return k.Prefix + "once:" + key }
func (k Keys) Callbacks(coach string) string {
	return k.Prefix + "cb:" + coach
}
func (k Keys) CallbackDay(phone, day string) string {
	return k.Prefix + "cbday:" + phone + ":" + day
}
func (k Keys) FlowSet(version string) string { return k.Prefix + "flowset:" + version }
func (k Keys) Text(id string) string         { return k.Prefix + "t:" + id }
func (k Keys) SMS(id string) string          { return k.Prefix + "sms:" + id }
func (k Keys) SMSHistory(id string) string   { return k.Prefix + "smsh:" + id }
func (k Keys) SMSBySID(sid string) string    { return k.Prefix + "smssid:" + sid }
func (k Keys) SMSLog() string                { return k.Prefix + "smslog" }
func (k Keys) SMSRate() string               { return k.Prefix + "smsrate" }
func (k Keys) OptOut(phone string) string    { return k.Prefix + "optout:" + phone }
func (k Keys) Invalid(phone string) string   { return k.Prefix + "invalid:" + phone }
func (k Keys) Outbox() string                { return k.Prefix + "outbox" }
func (k Keys) InRate(phone, minute string) string {
	return k.Prefix + "inrate:" + phone + ":" + minute
}
func (k Keys) Muted(phone string) string          { return k.Prefix + "muted:" + phone }
func (k Keys) ImportRun(run string) string        { return k.Prefix + "imp:" + run }
func (k Keys) RemindersDue() string               { return k.Prefix + "rem:due" }
func (k Keys) RemindersSkipped() string           { return k.Prefix + "rem:skipped" }
func (k Keys) Broadcast(id string) string         { return k.Prefix + "bc:" + id }
func (k Keys) BroadcastTo(id string) string       { return k.Prefix + "bcm:" + id }
func (k Keys) BroadcastsDue() string              { return k.Prefix + "bc:due" }
func (k Keys) BroadcastsOpen() string             { return k.Prefix + "bc:open" }
func (k Keys) BroadcastsLog() string              { return k.Prefix + "bc:log" }
func (k Keys) BroadcastsBy(by string) string      { return k.Prefix + "bcby:" + by }
func (k Keys) BroadcastDay(by, day string) string { return k.Prefix + "bcday:" + by + ":" + day }
func (k Keys) Demo() string                       { return k.Prefix + "demo" }
func (k Keys) Real() string                       { return k.Prefix + "real" }

// People matches every participant's key, for SCAN; PhoneOf reads the
// phone back from one.
func (k Keys) People() string               { return k.Person("*") }
func (k Keys) PhoneOf(person string) string { return strings.TrimPrefix(person, k.Person("")) }

// SMSQuota counts a phone's limited messages of a day (YYYYMMDD).
func (k Keys) SMSQuota(phone, day string) string { return k.Prefix + "smsday:" + phone + ":" + day }
func (k Keys) SMSToCheck() string                { return k.Prefix + "smscheck" }

// Answer is named by the phone and the provider's message ID: an ID
// reused by another number never reaches someone else's answer.
func (k Keys) Answer(phone, sid string) string { return k.Prefix + "smsin:" + phone + ":" + sid }

// SMSPending holds status reports that came before their message's SID
// was recorded.
func (k Keys) SMSPending(sid string) string { return k.Prefix + "smspend:" + sid }

// Queue is the asynq queue of outgoing messages: named after the prefix, so
// that installations sharing a Redis do not share a queue.
func (k Keys) Queue() string { return k.Prefix + "sms" }

// QueueTask is where asynq keeps the task of message id (its task ID):
// asynq's own layout, only read, to tell the requeuer a message is on the
// queue. Were the layout to change, the requeuer would queue again, which
// the task ID makes harmless.
func (k Keys) QueueTask(id string) string { return "asynq:{" + k.Queue() + "}:t:" + id }

// eventSep separates an event's fields in its hash value.
const eventSep = "\x1f"

// eventField is the hash field of an event.
func eventField(id string) string { return "e:" + id }

func isEventField(f string) bool { return strings.HasPrefix(f, "e:") }
