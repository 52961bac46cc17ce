package timeline

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Outcomes of a call's time in a queue (Queueing.Outcome).
const (
	QueueAnswered   = "answered"   // an agent answered
	QueueAbandoned  = "abandoned"  // the caller hung up while waiting
	QueueCallback   = "callback"   // the caller asked to be called back
	QueueOverflowed = "overflowed" // answered after moving to another queue or an external number
	QueueTimeout    = "timeout"    // the queue's maximum wait ran out
	QueueExited     = "exited"     // a queue rule sent the caller elsewhere
	QueueNoAgents   = "no_agents"  // nobody could take the call, so it was never queued
	// QueueCallbackFailed is on a callback call's record when the customer did not answer.
	QueueCallbackFailed = "callback_failed"
)

// Results of offering a call to one target (Offer.Result).
const (
	OfferAnswered  = "answered"
	OfferNoAnswer  = "no_answer"
	OfferBusy      = "busy"
	OfferDeclined  = "declined"
	OfferCancelled = "cancelled" // withdrawn, e.g. the caller left or another agent answered
	OfferError     = "error"
	OfferRinging   = "ringing" // still ringing when the record was saved
)

// Queueing is what the queue decided for a call (nil if it never reached one).
type Queueing struct {
	Queue          string    `json:"queue"`
	Priority       int       `json:"priority"`
	QueuedAt       time.Time `json:"queued_at"`
	Offered        []Offer   `json:"agents_offered"`       // in order; marshalled as [] when empty
	Agent          string    `json:"agent,omitempty"`      // who answered (agent id, or the external URI)
	AnsweredAt     time.Time `json:"answered_at,omitzero"` // agent answered
	WaitSeconds    float64   `json:"wait_seconds"`         // queued_at to answered_at, or to when the caller left
	Outcome        string    `json:"outcome"`              // one of the Queue* constants
	OverflowedTo   string    `json:"overflowed_to,omitempty"`
	CallbackNumber string    `json:"callback_number,omitempty"`
	CallbackOf     string    `json:"callback_of,omitempty"` // on the record of a callback call: the original call id
	// TalkSeconds is how long the caller talked with whoever answered.
	TalkSeconds float64 `json:"talk_seconds,omitempty"`
	// Recording is the id of the conversation's recording, if it was recorded.
	Recording string `json:"recording_id,omitempty"`
	// RTP packets of the caller's and the agent's legs, counted by
	// contactd at the end of the conversation.
	CallerRTP *RTPCount `json:"caller_rtp,omitempty"`
	AgentRTP  *RTPCount `json:"agent_rtp,omitempty"`
	// AgentEndReason is why the agent's leg ended: remote_hangup (the
	// agent hung up), rtp_timeout (their audio stopped), hangup (ours).
	AgentEndReason string `json:"agent_end_reason,omitempty"`
}

// Offer is one attempt to hand the call to an agent or external number.
type Offer struct {
	Target string    `json:"target"` // agent id or external URI
	At     time.Time `json:"at"`
	Result string    `json:"result"` // one of the Offer* constants
}

// MarshalJSON writes Offered as [] rather than null, so API clients can
// always iterate it.
func (q Queueing) MarshalJSON() ([]byte, error) {
	type plain Queueing // drops this method, avoiding recursion
	p := plain(q)
	if p.Offered == nil {
		p.Offered = []Offer{}
	}
	return json.Marshal(p)
}

// stored is q as it is saved: times cut to UTC microseconds like every
// other time in the store, so a record reads back equal to itself. It
// copies Offered rather than change the caller's slice.
func (q *Queueing) stored() *Queueing {
	c := *q
	c.QueuedAt = fromMicros(micros(q.QueuedAt))
	c.AnsweredAt = fromMicros(micros(q.AnsweredAt))
	c.Offered = make([]Offer, len(q.Offered))
	for i, o := range q.Offered {
		o.At = fromMicros(micros(o.At))
		c.Offered[i] = o
	}
	return &c
}

// queueColumns is q as the calls table's queue columns: queue_outcome,
// agent, queued_at, wait_ms and the queueing JSON (empty when nil).
type queueColumns struct {
	outcome, agent string
	queuedAt       int64
	waitMS         int64
	json           string
}

func encodeQueueing(q *Queueing) (queueColumns, error) {
	if q == nil {
		return queueColumns{}, nil
	}
	s := q.stored()
	b, err := json.Marshal(s)
	if err != nil {
		return queueColumns{}, fmt.Errorf("queueing: %w", err)
	}
	return queueColumns{
		outcome:  s.Outcome,
		agent:    s.Agent,
		queuedAt: micros(s.QueuedAt),
		waitMS:   int64(math.Round(s.WaitSeconds * 1000)),
		json:     string(b),
	}, nil
}

func decodeQueueing(s string) (*Queueing, error) {
	if s == "" {
		return nil, nil
	}
	var q Queueing
	if err := json.Unmarshal([]byte(s), &q); err != nil {
		return nil, fmt.Errorf("queueing: %w", err)
	}
	if q.Offered == nil {
		q.Offered = []Offer{}
	}
	return &q, nil
}

// RTPCount is one leg's RTP packets.
type RTPCount struct {
	Received uint64 `json:"packets_received"`
	Sent     uint64 `json:"packets_sent"`
}
