package queue

import "time"

// Call is a caller asking to join a queue.
type Call struct {
	ID       string
	Queue    string
	Priority int    // 0..9, already Prioritized; clamped into range
	Customer string // caller number / customer id
}

// Target is who an offer rings: exactly one of Agent and URI is set.
type Target struct {
	Agent string
	URI   string
}

func (t Target) String() string {
	if t.Agent != "" {
		return t.Agent
	}
	return t.URI
}

// Action is one of the engine's decisions. The driver carries them out in
// order and reports back with events.
type Action interface{ isAction() }

// Offer rings an agent (or external URI) for a call.
type Offer struct {
	Call    string
	Queue   string
	Target  Target
	Timeout time.Duration
}

// CancelOffer stops ringing a target; the engine has already released it,
// so the driver must not report the cancelled ring back as OfferFailed.
type CancelOffer struct {
	Call   string
	Target Target
}

// StartCallback says a callback's turn came: Agent is Reserved; dial Number,
// then on answer report CallbackAnswered and the engine offers the call to
// Agent.
type StartCallback struct {
	Call   string
	Queue  string
	Agent  string
	Number string
}

// ExitCall takes a call out of its queue. Reason is "timeout", "no_agents"
// or "callback_failed". When ToQueue is set the call was moved, not ended:
// it waits in ToQueue under the same ID, keeping its original queued time.
type ExitCall struct {
	Call    string
	Queue   string
	Reason  string
	ToQueue string
}

// AgentChanged reports every agent state change.
type AgentChanged struct {
	Agent  string
	State  AgentState
	Reason string
}

func (Offer) isAction()         {}
func (CancelOffer) isAction()   {}
func (StartCallback) isAction() {}
func (ExitCall) isAction()      {}
func (AgentChanged) isAction()  {}

// Exit reasons.
const (
	ReasonTimeout        = "timeout"
	ReasonNoAgents       = "no_agents"
	ReasonCallbackFailed = "callback_failed"
)

// Reasons the engine gives in AgentChanged for the transitions it makes.
// Changes requested through SetAgentState carry the caller's reason.
const (
	ReasonOffer            = "offer"             // ready -> ringing
	ReasonCallback         = "callback"          // ready -> reserved
	ReasonCallbackAnswered = "callback_answered" // reserved -> ringing
	ReasonAnswered         = "answered"          // ringing -> on_call
	ReasonCallEnded        = "call_ended"        // on_call -> wrap_up, or -> ready with no wrap-up
	ReasonWrapUpDone       = "wrap_up_done"      // wrap_up -> ready
	ReasonMissedOffers     = "missed_offers"     // ringing -> paused after MaxMissed misses
	ReasonCancelled        = "cancelled"         // ringing -> ready: another target answered (ring-all, URI)
	ReasonAbandoned        = "abandoned"         // ringing/reserved -> ready: the caller left
	ReasonUnreachable      = "unreachable"       // ringing/reserved -> ready: the phone went away
	ReasonRemoved          = "removed"           // any -> logged_out by RemoveAgent
	// A failed offer returns the agent to ready with the failure's own
	// reason ("no_answer", "busy", "declined", "error"); a failed callback
	// with ReasonCallbackFailed; a caller switching to a callback while
	// ringing with ReasonCallback.
)
