package redisstore

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/willay-pe/willay/internal/program"
)

// TestResolveWithAFullCache: places and topics are resolved while the text
// cache is full and other readers fill it too; no event comes back blank.
// Run with -race: readers and writers share the cache.
func TestResolveWithAFullCache(t *testing.T) {
	s, r := newStore(t)
	s.texts = newCache[string](3, 0) // far fewer entries than texts: it is full at once
	ctx := context.Background()
	const n = 12
	want := map[string]string{}
	for i := range n {
		text := fmt.Sprintf("Lugar %d", i)
		id := textID(text)
		want[id] = text
		if err := r.Client.Set(ctx, s.keys.Text(id), text, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*20)
	for w := range 8 {
		wg.Go(func() {
			for round := range 20 {
				var evs []program.Event
				for i := range n {
					k := (i + w + round) % n
					evs = append(evs, program.Event{ID: fmt.Sprint(i), Place: textID(fmt.Sprintf("Lugar %d", k)), Topic: textID(fmt.Sprintf("Lugar %d", (k+1)%n))})
				}
				ids := make([]program.Event, len(evs))
				copy(ids, evs)
				if err := s.resolve(ctx, evs); err != nil {
					errs <- err.Error()
					return
				}
				for i, e := range evs {
					if e.Place != want[ids[i].Place] || e.Topic != want[ids[i].Topic] {
						errs <- fmt.Sprintf("event %d resolved to place %q topic %q", i, e.Place, e.Topic)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
