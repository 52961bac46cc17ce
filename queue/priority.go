package queue

import "time"

// Priority classes: 0 is served first.
const (
	HighestPriority = 0
	LowestPriority  = 9
)

// PriorityRules raise the priority of particular callers.
type PriorityRules struct {
	VIP          map[string]int // customer/caller number -> priority class
	RepeatWithin time.Duration  // a caller whose last call was within this ...
	RepeatBoost  int            // ... gets priority lowered by this many classes (towards 0)
}

// Prioritize returns the class (0 highest .. 9 lowest, clamped) for a call:
// min of base (menu), the VIP class if listed, and base-RepeatBoost if
// lastCall is within RepeatWithin of now. A zero lastCall means no earlier
// call; a lastCall after now (clock skew between hosts) counts as recent.
func Prioritize(r PriorityRules, base int, customer string, lastCall time.Time, now time.Time) int {
	p := base
	// An anonymous caller must not match a VIP entry keyed by "".
	if v, ok := r.VIP[customer]; ok && customer != "" {
		p = min(p, v)
	}
	if r.RepeatWithin > 0 && r.RepeatBoost > 0 && !lastCall.IsZero() && now.Sub(lastCall) <= r.RepeatWithin {
		p = min(p, base-r.RepeatBoost)
	}
	return clampPriority(p)
}

func clampPriority(p int) int {
	return max(HighestPriority, min(LowestPriority, p))
}
