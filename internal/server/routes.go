package server

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is every endpoint at a glance.
func routes(r *gin.Engine, d Deps, m *metrics) {
	r.GET("/healthz", healthz(d))
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{})))
	for _, gw := range d.Gateways {
		r.POST("/ussd/"+gw.Name(), guard(d.Guard, gw.Name(), d.Log, m), handleHop(d, gw, m))
	}
	r.POST("/sms/twilio", smsInbound(d, m))
	r.POST("/sms/twilio/status", smsStatus(d))
}
