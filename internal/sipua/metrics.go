package sipua

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	requests  *prometheus.CounterVec
	responses *prometheus.CounterVec
	active    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactd_sip_requests_total",
			Help: "SIP requests received, by method.",
		}, []string{"method"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactd_sip_responses_total",
			Help: "SIP responses sent to received requests, by request method and status code.",
		}, []string{"method", "code"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "contactd_sip_active_calls",
			Help: "Native SIP calls up right now.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.responses, m.active)
	}
	return m
}
