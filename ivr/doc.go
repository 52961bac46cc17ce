// Package ivr is contactd's IVR: the menus of the config file, their
// validation, and an interpreter that runs one call through them.
//
// # Model
//
// The config's languages, routes and menus keys decode (Decode, from a
// yaml.Node so that every problem carries its line) into a Config. A route
// maps the dialled number to a menu ("*" matches any; an exact number wins).
// A menu greets the caller and then either offers single-key options or
// collects a multi-digit input into a call variable. What a key, an input, a
// fallback, after_hours, a lookup case or error does is a Command: hang up,
// return (re-enter the menu), go to a menu, enqueue, play then do something,
// choose a language, or look something up over HTTP. Any Command may name
// the outcome to record with outcome:, and label: why the caller came
// (billing, opening_hours), which reports and metrics count calls by; the
// last labelled command a call reaches gives its Reason. See
// testdata/menus.yaml for every
// feature. Validate checks the cross references that Decode cannot: menus,
// queues, languages, prompt files (through a callback, since it needs I/O)
// and after_hours branches that would loop into the same closed menu.
//
// # Interpreter
//
// A Session is a pure state machine: no goroutines, timers, clock or I/O.
// The driver (internal/callflow) feeds it Events that carry the current time
// and carries out the Actions it returns: Play (report PlayDone with its ID
// when it ends on its own), StopPlay (the caller barged in), Lookup (POST
// the variables, report LookupResult), and Enqueue or Hangup, which end the
// session. Timeouts are the session's Deadline: the driver sends a Tick when
// it has passed. IDs make late PlayDone and LookupResult events harmless.
//
// On entry a menu is checked against its hours and holidays in its own time
// zone at that instant; if closed, after_hours runs instead of the greeting.
// The greeting may be interrupted by a digit (barge_in, default true). The
// first-digit timeout counts from the greeting's end. An invalid key or a
// timeout plays the invalid or no_input prompt followed by the greeting;
// after retries such failures the fallback runs. Prompts played by actions
// (play, say, after_hours) cannot be interrupted. A lookup with no then
// returns to the menu entered before the current one.
//
// # Outcomes
//
// Enqueue records queued. A hang-up records, in order of preference: the
// latest outcome: on the branch; after_hours when the after_hours branch
// ran; no_input when the fallback ran; self_service when a prompt was played
// or a lookup spoken on the way (not after a failed lookup); else
// ivr_hangup. The caller hanging up first records abandoned_in_ivr. Entering
// a menu starts afresh, so an after_hours branch that goes to another menu
// is judged by what happens there.
package ivr
