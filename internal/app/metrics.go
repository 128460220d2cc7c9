package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/willay-pe/willay/internal/redisstore"
)

// backlog exposes, at each scrape, what waits in Redis: reminders due and
// skipped, broadcasts waiting to leave and waiting for their summary. A
// growing due count means nothing is dispatching.
//
// It reads Redis, so it can fail; a failure must not cost the scrape every
// other metric (willay_redis_errors_total above all, exactly during an
// incident). It gives up on its own after backlogTimeout and says so in
// willay_backlog_up instead of returning an error to the registry.
type backlog struct {
	store *redisstore.Store
	desc  *prometheus.Desc
	up    *prometheus.Desc
}

// backlogTimeout bounds the read: a scrape waits no longer for Redis.
const backlogTimeout = 500 * time.Millisecond

func newBacklog(s *redisstore.Store) *backlog {
	return &backlog{store: s,
		desc: prometheus.NewDesc("willay_backlog",
			"What waits in Redis, read at each scrape: reminders_due, reminders_skipped (recorded, 30 days), broadcasts_due, broadcasts_open (waiting for their summary).",
			[]string{"what"}, nil),
		up: prometheus.NewDesc("willay_backlog_up",
			"1 when this scrape read willay_backlog from Redis, 0 when Redis failed or was too slow (willay_backlog is then absent).", nil, nil)}
}

func (b *backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- b.desc
	ch <- b.up
}

func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
	defer cancel()
	counts, err := b.store.Backlog(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(b.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(b.up, prometheus.GaugeValue, 1)
	for what, n := range counts {
		ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, float64(n), what)
	}
}
