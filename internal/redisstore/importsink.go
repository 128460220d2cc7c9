package redisstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/willay-pe/willay/internal/importer"
)

// The import sink: every Apply is one pipeline per batch, and writes only
// absolute values, so applying a batch twice changes nothing.

var _ importer.Sink = (*Store)(nil)

// KnownPhones implements importer.Sink.
func (s *Store) KnownPhones(ctx context.Context, phones []string) ([]bool, error) {
	return s.exist(ctx, phones, s.keys.Person)
}

// KnownGroups implements importer.Sink.
func (s *Store) KnownGroups(ctx context.Context, groups []string) ([]bool, error) {
	return s.exist(ctx, groups, s.keys.Members)
}

func (s *Store) exist(ctx context.Context, ids []string, key func(string) string) ([]bool, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.Exists(ctx, key(id))
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]bool, len(ids))
	for i, c := range cmds {
		out[i] = c.Val() == 1
	}
	return out, nil
}

// ApplyParticipants implements importer.Sink. A participant whose group
// changed leaves the old group's members.
func (s *Store) ApplyParticipants(ctx context.Context, rows []importer.ParticipantRow) error {
	return s.pipe(ctx, func(p redis.Pipeliner) {
		p.Set(ctx, s.keys.Real(), "1", 0) // real people: never seed a demo here
		for _, r := range rows {
			args := []any{s.keys.Members(""), r.Phone, "name", r.Name, "lang", r.Language,
				"comm", r.Community, "dist", r.District, "reg", r.Region, "grp", r.Group, "coach", r.Coach}
			upsertParticipant.Run(ctx, p, []string{s.keys.Person(r.Phone), s.keys.Members(r.Group)}, args...)
		}
	})
}

// ApplyCoaches implements importer.Sink.
func (s *Store) ApplyCoaches(ctx context.Context, rows []importer.CoachRow) error {
	return s.pipe(ctx, func(p redis.Pipeliner) {
		p.Set(ctx, s.keys.Real(), "1", 0)
		for _, r := range rows {
			p.HSet(ctx, s.keys.Coach(r.Phone), "name", r.Name, "lang", r.Language, "g:"+r.Group, "1")
		}
	})
}

// ApplySavings implements importer.Sink.
func (s *Store) ApplySavings(ctx context.Context, rows []importer.SavingsRow) error {
	return s.pipe(ctx, func(p redis.Pipeliner) {
		for _, r := range rows {
			p.HSet(ctx, s.keys.Person(r.Phone), "sav", formatSavings(r.Cents, r.AsOf))
		}
	})
}

// ApplyEvents implements importer.Sink: the batch's places and topics
// first, then one script call per participant or group hash. A text lives
// as long as the latest event of the batch that names it is kept (its day
// and KeepEvents after), so that no kept event loses its place or topic,
// and texts no event names any more go away.
func (s *Store) ApplyEvents(ctx context.Context, rows []importer.EventRow) error {
	now := s.now()
	cutoff := now.Add(-s.opt.KeepEvents).Format("20060102")
	texts := map[string]string{}
	latest := map[string]string{} // text id → the latest event date naming it
	var order []string
	byKey := map[string][]any{}
	for _, r := range rows {
		for _, t := range []string{r.Event.Place, r.Event.Topic} {
			if t != "" {
				id := textID(t)
				texts[id] = t
				latest[id] = max(latest[id], r.Event.Date)
			}
		}
		key := s.eventKey(r)
		s.group.forget(r.Group)
		if byKey[key] == nil {
			order = append(order, key)
			byKey[key] = []any{cutoff}
		}
		byKey[key] = append(byKey[key], eventField(r.Event.ID), encodeEvent(r.Event))
	}
	return s.pipeScripts(ctx, []*redis.Script{upsertEvents, keepText}, func(p redis.Pipeliner) {
		for id, t := range texts {
			keepText.Run(ctx, p, []string{s.keys.Text(id)}, t, s.textLife(latest[id], now).Milliseconds())
		}
		for _, key := range order {
			upsertEvents.Run(ctx, p, []string{key}, byKey[key]...)
		}
	})
}

// textLife is how long a text named by an event of day date must live:
// through that day and KeepEvents after, when an import drops the event.
func (s *Store) textLife(date string, now time.Time) time.Duration {
	day, err := time.Parse("2006-01-02", date)
	if err != nil {
		return s.opt.KeepEvents
	}
	return max(day.AddDate(0, 0, 1).Add(s.opt.KeepEvents).Sub(now), time.Hour)
}

func (s *Store) pipe(ctx context.Context, fill func(redis.Pipeliner)) error {
	return s.pipeScripts(ctx, []*redis.Script{upsertParticipant, upsertEvents}, fill)
}

// pipeScripts runs fill's commands in one pipeline, after making sure the
// scripts it uses are loaded: Script.Run falls back to EVAL only outside
// a pipeline.
func (s *Store) pipeScripts(ctx context.Context, scripts []*redis.Script, fill func(redis.Pipeliner)) error {
	for _, sc := range scripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return err
		}
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		fill(p)
		return nil
	})
	return err
}

func formatSavings(cents int64, asOf string) string {
	return itoa(cents) + "|" + asOf
}
