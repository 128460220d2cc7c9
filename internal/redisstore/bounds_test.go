package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/importer"
	"github.com/willay-pe/willay/internal/program"
)

// TestBroadcastLogIsBounded: the log of every broadcast keeps none older
// than a broadcast's own life, so it does not grow with the years.
func TestBroadcastLogIsBounded(t *testing.T) {
	s, r := newStore(t)
	ctx := context.Background()
	for _, b := range []*broadcast.Broadcast{
		{ID: "old", By: "staff:Ana", Created: now.AddDate(0, 0, -91), At: now.AddDate(0, 0, -91)},
		{ID: "new", By: "staff:Ana", Created: now, At: now},
	} {
		if ok, err := s.CreateBroadcast(ctx, b, []string{"+51987654321"}, 0, b.Created.Format("20060102")); err != nil || !ok {
			t.Fatalf("create %s: %v %v", b.ID, ok, err)
		}
	}
	if ids := r.Client.ZRange(ctx, s.keys.BroadcastsLog(), 0, -1).Val(); len(ids) != 1 || ids[0] != "new" {
		t.Errorf("bc:log holds %v, want only the broadcast of the last 90 days", ids)
	}
	if ttl := r.Client.PTTL(ctx, s.keys.BroadcastsBy("staff:Ana")).Val(); ttl <= 0 {
		t.Errorf("a sender's list has no TTL (%v): a sender who stops stays for ever", ttl)
	}
}

// TestTextsLiveAsLongAsTheirEvents: a place or topic lives while an event
// naming it can still be kept (KeepEvents after its day), the longest any
// import asked, and a text stored without a life gets one.
func TestTextsLiveAsLongAsTheirEvents(t *testing.T) {
	s, r := newStore(t)
	ctx := context.Background()
	key := s.keys.Text(textID("Local comunal"))
	if err := r.Client.Set(ctx, key, "Local comunal", 0).Err(); err != nil { // as stored before texts expired
		t.Fatal(err)
	}
	keep := DefaultOptions().KeepEvents
	row := func(id, date string) importer.EventRow {
		return importer.EventRow{Group: "G1", Event: program.Event{ID: id, Kind: program.Meeting, Date: date, Time: "15:00", Place: "Local comunal"}}
	}
	for _, step := range []struct {
		name string
		rows []importer.EventRow
		want time.Time // the day the text must outlive, KeepEvents before
	}{
		{"a meeting in 10 days", []importer.EventRow{row("m1", "2026-12-07")}, time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)},
		{"a later one in another batch", []importer.EventRow{row("m2", "2027-01-20")}, time.Date(2027, 1, 21, 0, 0, 0, 0, time.UTC)},
		{"an earlier one does not shorten it", []importer.EventRow{row("m3", "2026-11-30")}, time.Date(2027, 1, 21, 0, 0, 0, 0, time.UTC)},
	} {
		if err := s.ApplyEvents(ctx, step.rows); err != nil {
			t.Fatal(err)
		}
		ttl := r.Client.PTTL(ctx, key).Val()
		want := step.want.Add(keep).Sub(now)
		if d := ttl - want; d < -time.Minute || d > time.Minute {
			t.Errorf("%s: the text lives %v, want %v", step.name, ttl, want)
		}
	}
	if v := r.Client.Get(ctx, key).Val(); v != "Local comunal" {
		t.Errorf("text %q", v)
	}
}
