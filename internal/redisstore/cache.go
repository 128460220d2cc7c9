package redisstore

import (
	"sync"
	"time"
)

// cache is a small in-process cache in front of Redis for what hops read
// often and imports change rarely. Entries live for ttl (0: for ever, for
// content-addressed values); when it holds max entries, one arbitrary entry
// makes room (Go's map iteration starts at a random place): cheaper than an
// LRU, and for data this small as good. A caller keeps what get returned in
// its own variables: a later get of the same key may miss.
type cache[V any] struct {
	mu  sync.RWMutex
	m   map[string]cached[V]
	ttl time.Duration
	max int
	now func() time.Time
}

type cached[V any] struct {
	v  V
	at time.Time
}

func newCache[V any](max int, ttl time.Duration) *cache[V] {
	return &cache[V]{m: map[string]cached[V]{}, ttl: ttl, max: max, now: time.Now}
}

func (c *cache[V]) get(k string) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[k]
	if !ok || (c.ttl > 0 && c.now().Sub(e.at) > c.ttl) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *cache[V]) put(k string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = cached[V]{v: v, at: c.now()}
}

// forget drops an entry this process knows changed.
func (c *cache[V]) forget(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}
