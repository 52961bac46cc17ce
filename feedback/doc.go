// Package feedback runs the post-call keypad survey and aggregates its
// answers.
//
// After the agent hangs up, a caller still on the line hears their queue's
// Survey: an intro, questions answered on the keypad on a 1–5, 1–10 or 0–10
// (NPS) scale, an optional recorded comment and a thank-you. A Session runs
// one caller through it as a pure state machine in the style of ivr.Session:
// the driver reports what happened (Start, Digit, PlayDone, Tick,
// CommentDone, Hangup) with the time it happened, and carries out the
// Actions returned (Play, StopPlay, RecordComment, Finished). Time comes only
// from those calls, so tests and the simulator run it on a fake clock.
//
// Digit entry: a digit answers at once unless it could start a longer score
// ('1' on the ten-point scales, which may be 10). Then '#' ends the entry, a
// second digit completes it, or the inter-digit timeout takes what was
// typed. Digits typed during a question's prompt stop it (barge-in). An
// invalid entry or a timeout repeats the question while retries last, then
// the question is skipped; a caller who hangs up skips what is left.
//
// Store saves each call's Result against call, agent, queue and customer,
// and Summaries aggregates them per question: count, average, distribution,
// CSAT and, on 0–10, NPS.
//
// The package imports no telephony code: callflow drives it on either
// backend.
package feedback
