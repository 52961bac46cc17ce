package callflow

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/contactd/contactd/queue"
)

// Buckets for waits and talk: a queue's life is seconds to tens of
// minutes, and service levels are usually set at 20-60 s, so those need
// fine buckets.
var (
	waitBuckets   = []float64{1, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200}
	handleBuckets = []float64{15, 30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 3600}
	// One bucket per score: 0-10 covers every scale.
	scoreBuckets = []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
)

type flowMetrics struct {
	calls *prometheus.CounterVec
}

func newFlowMetrics(reg prometheus.Registerer) *flowMetrics {
	m := &flowMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactd_calls_total",
			Help: "Inbound calls that ended, by outcome and reason (the label of the menu option the caller chose, or none).",
		}, []string{"outcome", "reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.calls)
	}
	return m
}

type acdMetrics struct {
	wait   *prometheus.HistogramVec
	handle *prometheus.HistogramVec
	score  *prometheus.HistogramVec
}

func newACDMetrics(reg prometheus.Registerer, a *ACD) *acdMetrics {
	m := &acdMetrics{
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "contactd_queue_wait_seconds",
			Help:    "How long callers waited in a queue, by queue and how the wait ended (answered, abandoned, callback, timeout, ...).",
			Buckets: waitBuckets,
		}, []string{"queue", "outcome"}),
		handle: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "contactd_queue_handle_seconds",
			Help:    "How long agents talked to callers, by queue.",
			Buckets: handleBuckets,
		}, []string{"queue"}),
		score: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "contactd_feedback_score",
			Help:    "Survey scores given by callers, by queue and question.",
			Buckets: scoreBuckets,
		}, []string{"queue", "question"}),
	}
	if reg != nil {
		reg.MustRegister(m.wait, m.handle, m.score, &acdCollector{a: a})
	}
	return m
}

// acdCollector reads the queue engine's live state at scrape time, so
// the gauges can never drift from what the engine decides on.
type acdCollector struct{ a *ACD }

var (
	descWaiting = prometheus.NewDesc("contactd_queue_callers_waiting",
		"Callers waiting in a queue now (callbacks included).", []string{"queue"}, nil)
	descOldest = prometheus.NewDesc("contactd_queue_oldest_wait_seconds",
		"How long the longest-waiting caller of a queue has waited.", []string{"queue"}, nil)
	descEWT = prometheus.NewDesc("contactd_queue_estimated_wait_seconds",
		"Estimated wait of the last caller in line: about what a caller joining now would wait (0 when nobody waits).", []string{"queue"}, nil)
	descQueueAgents = prometheus.NewDesc("contactd_queue_agents",
		"Agents with a queue's skills, by state.", []string{"queue", "state"}, nil)
	descSL = prometheus.NewDesc("contactd_queue_service_level_ratio",
		"Share of calls answered within the queue's service-level target since start (see GET /api/v1/queues).", []string{"queue"}, nil)
	descSLTarget = prometheus.NewDesc("contactd_queue_service_level_target_ratio",
		"The queue's service-level goal, as a ratio.", []string{"queue"}, nil)
	descQueueCalls = prometheus.NewDesc("contactd_queue_calls_total",
		"Calls that left a queue since start, by result: answered, abandoned, callback, overflowed, timed_out.", []string{"queue", "result"}, nil)
	descAgents = prometheus.NewDesc("contactd_agents",
		"Agents by state.", []string{"state"}, nil)
)

var agentStates = []queue.AgentState{queue.LoggedOut, queue.Ready, queue.Reserved, queue.Ringing, queue.OnCall, queue.WrapUp, queue.Paused}

func (c *acdCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWaiting, descOldest, descEWT, descQueueAgents, descSL, descSLTarget, descQueueCalls, descAgents} {
		ch <- d
	}
}

func (c *acdCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.a.Snapshot()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, q := range snap.Queues {
		gauge(descWaiting, float64(len(q.Waiting)), q.Name)
		gauge(descOldest, q.LongestWait.Seconds(), q.Name)
		var ewt float64
		if n := len(q.Waiting); n > 0 {
			ewt = q.Waiting[n-1].EWT.Seconds()
		}
		gauge(descEWT, ewt, q.Name)
		for _, s := range agentStates {
			gauge(descQueueAgents, float64(q.AgentsByState[s]), q.Name, string(s))
		}
		gauge(descSL, q.ServiceLevel, q.Name)
		gauge(descSLTarget, q.ServiceLevelPct, q.Name)
		for _, r := range []struct {
			name string
			n    int
		}{{"answered", q.Answered}, {"abandoned", q.Abandoned}, {"callback", q.Callbacks}, {"overflowed", q.Overflowed}, {"timed_out", q.TimedOut}} {
			ch <- prometheus.MustNewConstMetric(descQueueCalls, prometheus.CounterValue, float64(r.n), q.Name, r.name)
		}
	}
	byState := map[queue.AgentState]int{}
	for _, ag := range snap.Agents {
		byState[ag.State]++
	}
	for _, s := range agentStates {
		gauge(descAgents, float64(byState[s]), string(s))
	}
}
