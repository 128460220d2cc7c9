package engine

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/willay-pe/willay/internal/broadcast"
	"github.com/willay-pe/willay/internal/sms"
)

// memBroadcasts is broadcast.Store in memory over a memStore's people, for
// engine tests: the coach's broadcast menu runs without Redis. Dispatch is
// not exercised here (internal/app tests it on Redis).
type memBroadcasts struct {
	m   *memStore
	mu  sync.Mutex
	bcs map[string]*broadcast.Broadcast
	to  map[string][]string
	day map[string]int // by|day
	by  map[string][]string
}

func newMemBroadcasts(m *memStore) *memBroadcasts {
	return &memBroadcasts{m: m, bcs: map[string]*broadcast.Broadcast{}, to: map[string][]string{},
		day: map[string]int{}, by: map[string][]string{}}
}

func (b *memBroadcasts) Members(_ context.Context, groups []string) ([]string, error) {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	var out []string
	for phone, p := range b.m.people {
		if p.Group != "" && slices.Contains(groups, p.Group) {
			out = append(out, phone)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (b *memBroadcasts) Where(context.Context, []string, []string) ([]string, error) { return nil, nil }

func (b *memBroadcasts) People(_ context.Context, phones []string) ([]broadcast.Recipient, error) {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	out := make([]broadcast.Recipient, len(phones))
	for i, ph := range phones {
		p := b.m.people[ph]
		out[i] = broadcast.Recipient{Phone: ph, Name: p.Name, Lang: p.Lang}
	}
	return out, nil
}

func (b *memBroadcasts) CreateBroadcast(_ context.Context, bc *broadcast.Broadcast, to []string, limit int, day string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bcs[bc.ID] != nil {
		return false, nil
	}
	if limit > 0 && b.day[bc.By+"|"+day] >= limit {
		return false, broadcast.ErrLimit
	}
	c := *bc
	c.Status = broadcast.Scheduled
	b.bcs[bc.ID], b.to[bc.ID] = &c, to
	b.day[bc.By+"|"+day]++
	b.by[bc.By] = append([]string{bc.ID}, b.by[bc.By]...)
	return true, nil
}

func (b *memBroadcasts) Broadcast(_ context.Context, id string) (*broadcast.Broadcast, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bc := b.bcs[id]; bc != nil {
		c := *bc
		return &c, nil
	}
	return nil, nil
}

func (b *memBroadcasts) Recipients(_ context.Context, id string, from, n int64) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	to := b.to[id]
	return to[min(int(from), len(to)):min(int(from+n), len(to))], nil
}

func (b *memBroadcasts) ClaimBroadcast(context.Context, time.Time, time.Duration) (string, error) {
	return "", nil
}

func (b *memBroadcasts) Progress(context.Context, string, int64, time.Time) error { return nil }

func (b *memBroadcasts) MarkQueued(context.Context, string, time.Time) error { return nil }

func (b *memBroadcasts) Open(context.Context) ([]string, error) { return nil, nil }

func (b *memBroadcasts) MarkDone(context.Context, string) error { return nil }

func (b *memBroadcasts) CancelBroadcast(_ context.Context, bc *broadcast.Broadcast, day string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cur := b.bcs[bc.ID]; cur == nil || cur.Status != broadcast.Scheduled {
		return false, nil
	}
	b.bcs[bc.ID].Status = broadcast.Cancelled
	b.day[bc.By+"|"+day]--
	return true, nil
}

func (b *memBroadcasts) BroadcastsBy(_ context.Context, by string, n int64) ([]*broadcast.Broadcast, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*broadcast.Broadcast
	for _, id := range b.by[by][:min(int(n), len(b.by[by]))] {
		c := *b.bcs[id]
		out = append(out, &c)
	}
	return out, nil
}

func (b *memBroadcasts) SentOn(_ context.Context, by, day string) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.day[by+"|"+day], nil
}

func (b *memBroadcasts) MessageStatuses(_ context.Context, ids []string) ([]sms.Status, error) {
	return make([]sms.Status, len(ids)), nil
}
