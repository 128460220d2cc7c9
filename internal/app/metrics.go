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
type backlog struct {
	store *redisstore.Store
	desc  *prometheus.Desc
}

func newBacklog(s *redisstore.Store) *backlog {
	return &backlog{store: s, desc: prometheus.NewDesc("willay_backlog",
		"What waits in Redis, read at each scrape: reminders_due, reminders_skipped (recorded, 30 days), broadcasts_due, broadcasts_open (waiting for their summary).",
		[]string{"what"}, nil)}
}

func (b *backlog) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }

func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	counts, err := b.store.Backlog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(b.desc, err)
		return
	}
	for what, n := range counts {
		ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, float64(n), what)
	}
}
