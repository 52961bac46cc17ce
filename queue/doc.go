// Package queue is the ACD: queues, agents and their states, routing
// strategies, priorities, overflow, wait estimates and callbacks.
//
// The Engine is pure. It does no I/O, starts no goroutines and never reads
// the clock: every method takes now, and Deadline says when Tick next has
// work. It is not safe for concurrent use; the driver (internal/callflow)
// serialises calls. Each event method returns Actions (Offer, CancelOffer,
// StartCallback, ExitCall, AgentChanged) to carry out in order; the driver
// reports what happened with further events. A target the engine cancelled
// has already been released and must not be reported back; reports about
// offers or calls the engine no longer has are ignored.
//
// # Routing
//
// An agent may take a call when it is ready and reachable and has every
// skill of the call's queue at the required level, or meets an overflow
// step the call has passed (a lower MinLevel, another queue's skills).
// Agents are indexed per queue and overflow stage, so routing an event
// touches the free agents who could take the call, not all agents.
//
// When an agent becomes free it takes the best waiting call among every
// queue it can serve: lowest priority class, then failed callbacks (front
// of their class), then earliest first-queued time, then arrival. When a
// call becomes routable the queue's strategy picks among the free agents:
// longest-idle (since the last call ended or since becoming ready from
// paused or logged out), fewest-calls (answered since login, then longest
// idle), round-robin (next agent id after the last one offered from that
// queue), ring-all (every free agent; the first answer cancels the rest),
// skill-sparing (below). A call rings one agent at a time (except ring-all
// and an overflow URI, which rings alongside). It is not offered to an
// agent who failed it while someone else who has not is free; when all
// free agents have failed it, it starts over RetryDelay (default 5s) after
// the last failure; until then it is parked (offered to nobody), so the
// agent who failed it takes other calls rather than ring again at once.
//
// Skill-sparing: after every event no routable call waits beside a free
// agent who could take it, so the calls a free agent could take in other
// queues are ones already ringing someone or being called back. The engine
// scores a free agent by those calls, then by how many other queues it can
// serve, and only then by idle time; in effect single-skilled agents are
// used first, keeping versatile ones for the other queues.
//
// # Agents
//
// States: logged_out → ready (SetAgentState), ready → ringing (Offer),
// ready → reserved (StartCallback), reserved → ringing (CallbackAnswered),
// ringing → on_call (OfferAnswered), ringing → ready (OfferFailed, cancel)
// or → paused "missed_offers" after MaxMissed misses in a row, on_call →
// wrap_up (the ended call's queue's WrapUp) → ready, or → ready at once
// with no wrap-up, ready ↔ paused, any → logged_out. Each change emits
// AgentChanged; reasons the engine sets are the Reason* constants.
// Every failed offer counts as a miss, "error" included: a phone that keeps
// failing must not keep its agent looking available. Answering, logging in
// and coming back from a pause reset the count.
//
// From outside only ready, paused and logged_out can be requested. During
// ringing, reserved, on_call or wrap_up a request waits and is applied
// when the agent would otherwise become ready (after wrap-up), except:
// logged_out while ringing or reserved applies at once (the offer is
// cancelled and the call re-routed; a reserved callback, once the customer
// answers, goes to whoever is free); ready during wrap-up ends the wrap-up
// (waiting for it would change nothing); ready otherwise withdraws a
// pending request. An unreachable agent is never offered calls; losing
// reachability cancels its ring or reservation and leaves it ready but not
// routable.
//
// # Overflow, max wait, join and leave
//
// Overflow steps apply in order of After (they are sorted) from when the
// call joined its current queue; each widens the agents who may take it or
// rings the URI once, alongside anything already ringing (if the URI fails
// the call goes back to agents). Overflowed counts calls offered to a
// target only an overflow step made eligible.
//
// At MaxWait a waiting call leaves (ExitCall "timeout") or moves to
// OnMaxWait.Queue (ExitCall with ToQueue), keeping its first-queued time
// for service order and service level, while the new queue's overflow and
// max wait count from the move. A call ringing at its max wait is not
// pulled off the phone; it leaves if that ring fails. A move to a queue
// that would refuse it (JoinEmpty false, nobody logged in) becomes a
// plain exit.
//
// JoinEmpty and LeaveEmpty count agents logged in (any state but
// logged_out) and reachable who can serve the queue at any overflow stage.
// Note the Go zero value: JoinEmpty false refuses callers while nobody is
// logged in, as the contract says; configuration defaults it to true.
// LeaveEmpty exits the queue's waiting calls when that count drops to
// zero; calls ringing an external URI stay with it.
//
// # Callbacks
//
// RequestCallback keeps the call's place (anything ringing for it is
// cancelled). When its turn comes one agent is reserved (also in a ring-all
// queue) and StartCallback dials the customer; CallbackAnswered rings the
// reserved agent; CallbackFailed puts the call at the front of its class
// and frees the agent, or ends it with "callback_failed" once
// CallbackRetries dials have failed. CallbackRetryDelay (default 0, as the
// contract reads) can hold retries back. Callbacks, and calls once called
// back, never time out and never leave for lack of agents: the caller was
// promised a call. An external overflow URI is never rung for a callback.
//
// # Position and estimated wait
//
// Position counts the calls of the call's own queue ahead of it in service
// order (ringing calls and callbacks included). The EWT simulates the
// reachable agents serving the queue at the call's stage (ready, ringing,
// reserved, on a call or in wrap-up, and not about to pause or log out):
// each frees up now, at the end of its wrap-up, or at its current call's
// start plus its mean recent handle time (not before now) plus wrap-up;
// the not-yet-ringing calls ahead take the earliest free agent in turn and
// the call's EWT is when its agent frees up. Other queues sharing the
// agents are ignored. With nobody serving the queue the EWT is 0 with ok
// true: unknown. Handle time runs from answer to CallEnded.
//
// # Service level
//
// Per queue, where the call was when it ended: AnsweredInSL counts calls
// answered within ServiceLevel of their first-queued time, and
//
//	ServiceLevel = AnsweredInSL / (Answered + abandoned after ServiceLevel)
//
// or 1 while the denominator is 0. Calls abandoned within the target,
// timed out or turned into callbacks do not count; a dropped pending
// callback is not an abandon.
//
// # Contract notes
//
// The contract sketches the agent states as "Ready = "ready"", which in Go
// would be untyped; all states are typed AgentState. ExitKind exists but
// Exit expresses the exit by its Queue field. Additions: ErrInvalid (bad
// configuration, ids or requests), ValidateAgent, Options.RetryDelay and
// CallbackRetryDelay, AgentSnapshot.Pending, Target.String, the Reason*
// and Default* constants. UpsertAgent cannot fail, so it drops skill levels
// below 1 and caps those above 10. Priorities outside 0-9 are clamped.
package queue
