package web

import (
	"net/http"
	"time"

	"github.com/contactd/contactd/queue"
)

// queueJSON is one queue in GET /api/v1/queues. Times are seconds.
type queueJSON struct {
	Name               string         `json:"name"`
	Waiting            []waitingJSON  `json:"waiting"`
	LongestWait        float64        `json:"longest_wait_seconds"`
	Agents             map[string]int `json:"agents"`
	Answered           int            `json:"answered"`
	Abandoned          int            `json:"abandoned"`
	Callbacks          int            `json:"callbacks"`
	Overflowed         int            `json:"overflowed"`
	TimedOut           int            `json:"timed_out"`
	AnsweredInSL       int            `json:"answered_within_target"`
	ServiceLevel       float64        `json:"service_level"`
	ServiceLevelTarget float64        `json:"service_level_target_seconds"`
	ServiceLevelPct    float64        `json:"service_level_target_pct"`
}

type waitingJSON struct {
	Call     string   `json:"call_id"`
	Customer string   `json:"customer"`
	Priority int      `json:"priority"`
	Position int      `json:"position"`
	Waited   float64  `json:"waited_seconds"`
	EWT      float64  `json:"estimated_wait_seconds"`
	Callback bool     `json:"callback"`
	Offered  []string `json:"offered"`
}

// agentStates lists every state so a queue with none in one still shows 0.
var agentStates = []queue.AgentState{queue.LoggedOut, queue.Ready, queue.Reserved, queue.Ringing, queue.OnCall, queue.WrapUp, queue.Paused}

func seconds(d time.Duration) float64 { return d.Seconds() }

func (a *api) listQueues(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, queuesBody(a.opts.Queues.Snapshot()))
}

// queuesBody is GET /api/v1/queues, and the data of queue_update events.
func queuesBody(snap queue.Snapshot) map[string]any {
	out := make([]queueJSON, 0, len(snap.Queues))
	for _, q := range snap.Queues {
		j := queueJSON{
			Name: q.Name, Waiting: []waitingJSON{}, LongestWait: seconds(q.LongestWait), Agents: map[string]int{},
			Answered: q.Answered, Abandoned: q.Abandoned, Callbacks: q.Callbacks, Overflowed: q.Overflowed, TimedOut: q.TimedOut,
			AnsweredInSL: q.AnsweredInSL, ServiceLevel: q.ServiceLevel,
			ServiceLevelTarget: seconds(q.ServiceLevelTarget), ServiceLevelPct: q.ServiceLevelPct,
		}
		for _, s := range agentStates {
			j.Agents[string(s)] = q.AgentsByState[s]
		}
		for _, c := range q.Waiting {
			offered := c.Offered
			if offered == nil {
				offered = []string{}
			}
			j.Waiting = append(j.Waiting, waitingJSON{
				Call: c.Call, Customer: c.Customer, Priority: c.Priority, Position: c.Position,
				Waited: seconds(c.Waited), EWT: seconds(c.EWT), Callback: c.Callback, Offered: offered,
			})
		}
		out = append(out, j)
	}
	return map[string]any{"queues": out}
}
