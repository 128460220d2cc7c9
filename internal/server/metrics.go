package server

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	hops        *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	bad         *prometheus.CounterVec
	redisErrors prometheus.Counter
	smsIn       *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		hops: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "willay_ussd_hops_total",
			Help: "USSD hops answered, by gateway, flow node and language."}, []string{"gateway", "node", "lang"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "willay_ussd_hop_seconds",
			Help:    "Time to answer a USSD hop.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2}}, []string{"gateway"}),
		bad: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "willay_ussd_bad_requests_total",
			Help: "Malformed USSD requests refused, by gateway and field."}, []string{"gateway", "field"}),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "willay_redis_errors_total",
			Help: "Hops answered with the busy screen because storage failed or was too slow."}),
		smsIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "willay_sms_inbound_total",
			Help: "Incoming SMS, by the language answered in, or forged, bad, repeat, loop, muted, spooled."}, []string{"result"}),
	}
	reg.MustRegister(m.hops, m.latency, m.bad, m.redisErrors, m.smsIn)
	return m
}
