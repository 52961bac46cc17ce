package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/contactd/contactd/queue"
)

// Report is the outcome of a scenario under each strategy. Times are in
// seconds, shares in percent.
type Report struct {
	Scenario  string   `json:"scenario"`
	Seed      uint64   `json:"seed"`
	DurationS float64  `json:"duration_s"`
	WarmUpS   float64  `json:"warm_up_s"`
	Calls     int      `json:"calls"` // generated, warm-up included
	Results   []Result `json:"results"`

	Duration time.Duration `json:"-"`
	WarmUp   time.Duration `json:"-"`
}

// Result is one strategy's run. Only calls arriving after the warm-up are
// counted; each is counted in the queue it arrived at.
type Result struct {
	Strategy     string  `json:"strategy"`
	Routing      string  `json:"routing"` // "" = as each queue is configured
	AcrossQueues string  `json:"across_queues"`
	Total        Stats   `json:"total"`
	Queues       []Stats `json:"queues"`
	// OccupancyPct is time on calls and in wrap-up over time logged in
	// and not paused (ready, ringing, on a call or in wrap-up), between
	// the warm-up and the end of arrivals.
	OccupancyPct float64       `json:"occupancy_pct"`
	Groups       []GroupStats  `json:"agent_groups"`
	EWT          EstimateError `json:"ewt_error"`       // the engine's Position
	AppQueue     EstimateError `json:"app_queue_error"` // app_queue's hold-time average
	Events       int           `json:"events"`          // engine calls made
	Calls        int           `json:"-"`
}

// Stats are a queue's figures (or all queues').
type Stats struct {
	Name       string `json:"name,omitempty"`
	Offered    int    `json:"offered"`
	Answered   int    `json:"answered"`
	Abandoned  int    `json:"abandoned"`
	Exited     int    `json:"exited"`     // max wait or no agents
	Refused    int    `json:"refused"`    // queue would not take the call
	Unfinished int    `json:"unfinished"` // still waiting when the drain ran out
	// AbandonedPct is abandoned over offered.
	AbandonedPct float64 `json:"abandoned_pct"`
	// ASAS is the mean wait of answered calls, ringing included.
	ASAS float64 `json:"asa_s"`
	// ServiceLevelPct is the engine's definition: answered within the
	// queue's target over answered plus abandoned after the target.
	ServiceLevelPct float64 `json:"service_level_pct"`
	// DelayedPct is the share of offered calls that found no free agent
	// and queued: P(wait > 0) when ringing takes no time.
	DelayedPct   float64 `json:"delayed_pct"`
	LongestWaitS float64 `json:"longest_wait_s"` // answered, abandoned or exited

	answeredInSL, abandonedAfterSL, delayed int
	waitSum                                 time.Duration
}

// GroupStats is one agent group's occupancy.
type GroupStats struct {
	Name         string  `json:"name"`
	Agents       int     `json:"agents"`
	OccupancyPct float64 `json:"occupancy_pct"`
	// AvailableHours is agent-hours ready, ringing, on a call or in
	// wrap-up in the measured window.
	AvailableHours float64 `json:"available_hours"`
}

// EstimateError compares estimated with actual waits of the calls that
// had to queue and were answered: absolute error's mean and 90th
// percentile, and the mean signed error (estimate minus actual: positive
// means callers were told too long).
type EstimateError struct {
	Samples    int             `json:"samples"`
	MAES       float64         `json:"mae_s"`
	P90S       float64         `json:"p90_s"`
	BiasS      float64         `json:"bias_s"`
	ByPosition []PositionError `json:"by_position"`
}

// PositionError is EstimateError for calls that joined at these positions.
type PositionError struct {
	Positions string  `json:"positions"`
	Samples   int     `json:"samples"`
	MAES      float64 `json:"mae_s"`
	P90S      float64 `json:"p90_s"`
	BiasS     float64 `json:"bias_s"`
}

var buckets = []struct {
	label    string
	from, to int
}{{"1", 1, 1}, {"2-3", 2, 3}, {"4-10", 4, 10}, {"11+", 11, math.MaxInt}}

func (r *runner) result() *Result {
	res := &Result{Strategy: r.st.Name, Routing: string(r.st.Routing), AcrossQueues: r.st.AcrossQueues, Events: r.nev, Calls: r.ncalls}
	per := r.stats
	tot := Stats{}
	for i := range per {
		per[i].finish()
		tot.add(&per[i])
	}
	tot.finish()
	res.Total, res.Queues = tot, per
	var busy, avail time.Duration
	for gi, g := range r.sc.Agents {
		st := r.stateTime[gi]
		b := st[queue.OnCall] + st[queue.WrapUp]
		a := b + st[queue.Ready] + st[queue.Ringing] + st[queue.Reserved]
		busy, avail = busy+b, avail+a
		res.Groups = append(res.Groups, GroupStats{Name: g.Name, Agents: g.Count, OccupancyPct: pct(b.Seconds(), a.Seconds()), AvailableHours: a.Hours()})
	}
	res.OccupancyPct = pct(busy.Seconds(), avail.Seconds())
	res.EWT, res.AppQueue = estimateError(r.ewt), estimateError(r.holdErr)
	return res
}

func pct(n, d float64) float64 {
	if d == 0 {
		return 0
	}
	return 100 * n / d
}

func (s *Stats) add(o *Stats) {
	s.Offered += o.Offered
	s.Answered += o.Answered
	s.Abandoned += o.Abandoned
	s.Exited += o.Exited
	s.Refused += o.Refused
	s.Unfinished += o.Unfinished
	s.answeredInSL += o.answeredInSL
	s.abandonedAfterSL += o.abandonedAfterSL
	s.delayed += o.delayed
	s.waitSum += o.waitSum
	s.LongestWaitS = max(s.LongestWaitS, o.LongestWaitS)
}

func (s *Stats) finish() {
	s.AbandonedPct = pct(float64(s.Abandoned), float64(s.Offered))
	s.DelayedPct = pct(float64(s.delayed), float64(s.Offered))
	if s.Answered > 0 {
		s.ASAS = s.waitSum.Seconds() / float64(s.Answered)
	}
	s.ServiceLevelPct = 100
	if d := s.Answered + s.abandonedAfterSL; d > 0 {
		s.ServiceLevelPct = pct(float64(s.answeredInSL), float64(d))
	}
}

// estimateError summarises (position, signed error) samples.
func estimateError(samples [][2]float64) EstimateError {
	summary := func(errs []float64) (mae, p90, bias float64) {
		if len(errs) == 0 {
			return 0, 0, 0
		}
		abs := make([]float64, len(errs))
		for i, e := range errs {
			abs[i] = math.Abs(e)
			mae += abs[i]
			bias += e
		}
		slices.Sort(abs)
		n := float64(len(errs))
		return mae / n, quantile(abs, 0.9), bias / n
	}
	all := make([]float64, len(samples))
	for i, s := range samples {
		all[i] = s[1]
	}
	out := EstimateError{Samples: len(samples)}
	out.MAES, out.P90S, out.BiasS = summary(all)
	for _, b := range buckets {
		var errs []float64
		for _, s := range samples {
			if p := int(s[0]); p >= b.from && p <= b.to {
				errs = append(errs, s[1])
			}
		}
		pe := PositionError{Positions: b.label, Samples: len(errs)}
		pe.MAES, pe.P90S, pe.BiasS = summary(errs)
		out.ByPosition = append(out.ByPosition, pe)
	}
	return out
}

// quantile is the nearest-rank q-quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteTable prints the report for people: the totals per strategy, each
// queue, occupancy by agent group and the wait-estimate errors.
func (rep *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	p := func(format string, a ...any) { fmt.Fprintf(tw, format, a...) }
	fmt.Fprintf(w, "scenario %s: seed %d, %v of arrivals after a %v warm-up, %d calls generated\n\n",
		rep.Scenario, rep.Seed, rep.Duration, rep.WarmUp, rep.Calls)
	p("strategy\tqueue\toffered\tanswered\taband%%\tdelayed%%\tASA s\tSL%%\tlongest s\t\n")
	for _, res := range rep.Results {
		rows := append([]Stats{res.Total}, res.Queues...)
		if len(res.Queues) == 1 {
			rows = rows[:1]
		}
		for i, s := range rows {
			name := s.Name
			if i == 0 {
				name = "all"
			}
			p("%s\t%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\t\n", res.Strategy, name, s.Offered, s.Answered, s.AbandonedPct, s.DelayedPct, s.ASAS, s.ServiceLevelPct, s.LongestWaitS)
		}
	}
	p("\n")
	p("strategy\tagents\toccupancy%%\t\n")
	for _, res := range rep.Results {
		p("%s\tall\t%.1f\t\n", res.Strategy, res.OccupancyPct)
		if len(res.Groups) > 1 {
			for _, g := range res.Groups {
				p("%s\t%s (%d)\t%.1f\t\n", res.Strategy, g.Name, g.Agents, g.OccupancyPct)
			}
		}
	}
	p("\n")
	p("wait estimate error, s\testimator\tcalls\tMAE\tp90\tbias")
	for _, b := range buckets {
		p("\tMAE pos %s\tp90 pos %s", b.label, b.label)
	}
	p("\t\n")
	for _, res := range rep.Results {
		for _, est := range []struct {
			name string
			e    EstimateError
		}{{"engine EWT", res.EWT}, {"app_queue avg", res.AppQueue}} {
			p("%s\t%s\t%d\t%.1f\t%.1f\t%+.1f", res.Strategy, est.name, est.e.Samples, est.e.MAES, est.e.P90S, est.e.BiasS)
			for _, b := range est.e.ByPosition {
				p("\t%.1f\t%.1f", b.MAES, b.P90S)
			}
			p("\t\n")
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}
