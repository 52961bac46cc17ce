package asterisk

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	connected prometheus.Gauge
	connects  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, b *Backend) *metrics {
	m := &metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "contactd_asterisk_connected",
			Help: "1 while the ARI events websocket to Asterisk is up.",
		}),
		connects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "contactd_asterisk_connects_total",
			Help: "ARI events websocket connections made (the first, then reconnections).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.connected, m.connects,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "contactd_asterisk_active_calls",
				Help: "Calls from Asterisk whose call flow is running.",
			}, func() float64 { return float64(b.ActiveCalls()) }))
	}
	return m
}
