package sipua

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/contactd/contactd/internal/media"
)

type metrics struct {
	requests  *prometheus.CounterVec
	responses *prometheus.CounterVec
	active    prometheus.Gauge
	dropped   *prometheus.CounterVec
	// RTP of legs that have ended, counted once per leg at its end.
	rtpPackets *prometheus.CounterVec
	rtpLost    prometheus.Counter
	rtpLate    prometheus.Counter
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
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactd_sip_requests_refused_total",
			Help: "SIP requests refused by the per-address guard: rate_limited (answered 503) or banned (dropped).",
		}, []string{"reason"}),
		rtpPackets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactd_rtp_packets_total",
			Help: "RTP packets of ended call legs (callers' and agents'), by direction.",
		}, []string{"direction"}),
		rtpLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "contactd_rtp_packets_lost_total",
			Help: "RTP packets that never arrived (gaps in sequence numbers), on ended call legs.",
		}),
		rtpLate: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "contactd_rtp_packets_late_total",
			Help: "RTP audio packets that arrived after a later one, on ended call legs.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.responses, m.active, m.dropped, m.rtpPackets, m.rtpLost, m.rtpLate)
	}
	return m
}

// legEnded adds a leg's RTP counters.
func (m *metrics) legEnded(st media.Stats) {
	m.rtpPackets.WithLabelValues("received").Add(float64(st.PacketsReceived))
	m.rtpPackets.WithLabelValues("sent").Add(float64(st.PacketsSent))
	m.rtpLost.Add(float64(st.PacketsLost))
	m.rtpLate.Add(float64(st.PacketsLate))
}
