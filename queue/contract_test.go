package queue

import "time"

// The API other packages are written against, checked at compile time.
var (
	_ func(Options) (*Engine, error)                                         = New
	_ func(PriorityRules, int, string, time.Time, time.Time) int             = Prioritize
	_ func(*Engine, time.Time, Call) ([]Action, error)                       = (*Engine).Enqueue
	_ func(*Engine, time.Time, string) []Action                              = (*Engine).Abandon
	_ func(*Engine, time.Time, string, string) ([]Action, error)             = (*Engine).RequestCallback
	_ func(*Engine, time.Time, string, Target) []Action                      = (*Engine).OfferAnswered
	_ func(*Engine, time.Time, string, Target, string) []Action              = (*Engine).OfferFailed
	_ func(*Engine, time.Time, string) []Action                              = (*Engine).CallbackAnswered
	_ func(*Engine, time.Time, string) []Action                              = (*Engine).CallbackFailed
	_ func(*Engine, time.Time, string) []Action                              = (*Engine).CallEnded
	_ func(*Engine, time.Time) []Action                                      = (*Engine).Tick
	_ func(*Engine) (time.Time, bool)                                        = (*Engine).Deadline
	_ func(*Engine, time.Time, AgentConfig) []Action                         = (*Engine).UpsertAgent
	_ func(*Engine, time.Time, string) ([]Action, error)                     = (*Engine).RemoveAgent
	_ func(*Engine, time.Time, string, AgentState, string) ([]Action, error) = (*Engine).SetAgentState
	_ func(*Engine, time.Time, string, bool) []Action                        = (*Engine).SetReachable
	_ func(*Engine, time.Time, string) (int, time.Duration, bool)            = (*Engine).Position
	_ func(*Engine, time.Time) Snapshot                                      = (*Engine).Snapshot

	_ = []Action{Offer{}, CancelOffer{}, StartCallback{}, ExitCall{}, AgentChanged{}}
	_ = []Strategy{LongestIdle, FewestCalls, RoundRobin, RingAll, SkillSparing}
	_ = []AgentState{LoggedOut, Ready, Reserved, Ringing, OnCall, WrapUp, Paused}
	_ = []error{ErrUnknownQueue, ErrNoAgents, ErrUnknownCall, ErrUnknownAgent}
	_ ExitKind
	_ = QueueConfig{Name: "", Skills: nil, Strategy: "", RingTimeout: 0, WrapUp: 0, ServiceLevel: 0, ServiceLevelPct: 0,
		MaxWait: 0, OnMaxWait: Exit{Queue: ""}, JoinEmpty: false, LeaveEmpty: false, Overflow: []Overflow{{After: 0, Queue: "", MinLevel: 0, URI: ""}}}
	_ = Options{Queues: nil, Agents: []AgentConfig{{ID: "", Name: "", Skills: nil}}, MaxMissed: 0, HandleTimeSamples: 0, DefaultHandleTime: 0, CallbackRetries: 0}
	_ = Call{ID: "", Queue: "", Priority: 0, Customer: ""}
	_ = Target{Agent: "", URI: ""}
	_ = Offer{Call: "", Queue: "", Target: Target{}, Timeout: 0}
	_ = CancelOffer{Call: "", Target: Target{}}
	_ = StartCallback{Call: "", Queue: "", Agent: "", Number: ""}
	_ = ExitCall{Call: "", Queue: "", Reason: "", ToQueue: ""}
	_ = AgentChanged{Agent: "", State: "", Reason: ""}
	_ = Snapshot{Queues: []QueueSnapshot{{Name: "", Waiting: []WaitingCall{{Call: "", Customer: "", Priority: 0, Position: 0, Waited: 0, EWT: 0, Callback: false, Offered: nil}},
		LongestWait: 0, AgentsByState: map[AgentState]int{}, Answered: 0, Abandoned: 0, Callbacks: 0, Overflowed: 0, TimedOut: 0,
		AnsweredInSL: 0, ServiceLevel: 0, ServiceLevelTarget: 0, ServiceLevelPct: 0}},
		Agents: []AgentSnapshot{{ID: "", Name: "", State: "", Reason: "", Reachable: false, Skills: nil, Since: time.Time{}, Calls: 0, Missed: 0, CurrentCall: ""}}}
	_ = PriorityRules{VIP: nil, RepeatWithin: 0, RepeatBoost: 0}
)
