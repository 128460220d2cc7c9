package redisstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/importer"
)

var _ importer.Sweeper = (*Store)(nil)

// runTTL bounds how long an import run's record of its events lives, in
// case the import stops before its sweep.
const runTTL = 6 * time.Hour

func (s *Store) eventKey(r importer.EventRow) string {
	if r.Group != "" {
		return s.keys.Group(r.Group)
	}
	return s.keys.Person(r.Phone)
}

// MarkEvents implements importer.Sweeper: it records, per run, which
// events the run brought.
func (s *Store) MarkEvents(ctx context.Context, run string, rows []importer.EventRow) error {
	members := make([]any, len(rows))
	for i, r := range rows {
		members[i] = s.eventKey(r) + eventSep + r.Event.ID
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, s.keys.ImportRun(run), members...)
		p.Expire(ctx, s.keys.ImportRun(run), runTTL)
		return nil
	})
	return err
}

// sweepEvents removes from a hash the events of some kinds that an import
// run did not bring.
//
// KEYS[1] participant or group hash, KEYS[2] the run's set of events.
// ARGV[1] the hash's key (as the run's members name it), ARGV[2..] kind
// codes (the first letter of an event value).
// Returns how many events it removed.
var sweepEvents = redis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
local kinds = {}
for i = 2, #ARGV do kinds[ARGV[i]] = true end
local n = 0
for i = 1, #all, 2 do
  local f = all[i]
  if string.sub(f, 1, 2) == 'e:' and kinds[string.sub(all[i+1], 1, 1)] then
    if redis.call('SISMEMBER', KEYS[2], ARGV[1] .. '\31' .. string.sub(f, 3)) == 0 then
      redis.call('HDEL', KEYS[1], f)
      n = n + 1
    end
  end
end
return n
`)

// SweepEvents implements importer.Sweeper.
func (s *Store) SweepEvents(ctx context.Context, run string, kinds []string, rows []importer.EventRow) error {
	codes := make([]any, 0, len(kinds)+1)
	codes = append(codes, "")
	for _, k := range kinds {
		codes = append(codes, kindCode[k])
	}
	seen := map[string]bool{}
	return s.pipeScripts(ctx, []*redis.Script{sweepEvents}, func(p redis.Pipeliner) {
		for _, r := range rows {
			key := s.eventKey(r)
			if seen[key] {
				continue
			}
			seen[key] = true
			s.group.forget(r.Group) // this process reads its own change at once
			codes[0] = key
			sweepEvents.Run(ctx, p, []string{key, s.keys.ImportRun(run)}, codes...)
		}
	})
}

// EndRun implements importer.Sweeper.
func (s *Store) EndRun(ctx context.Context, run string) error {
	return s.rdb.Unlink(ctx, s.keys.ImportRun(run)).Err()
}
