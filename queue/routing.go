package queue

import (
	"slices"
	"strings"
	"time"
)

// freeAgents holds a bucket's free agents in the order its queue's strategy
// wants them, so picking one is a heap peek rather than a scan.
type freeAgents struct {
	bucket   int
	strategy Strategy
	// groups are heaps by idle time (fewest-calls: by calls, then idle
	// time). Skill-sparing keeps one heap per set of buckets an agent
	// serves, since everyone in such a group is equally needed elsewhere;
	// the other strategies use the single group "".
	groups map[string]*ixHeap[*agent]
	sorted []*agent // round-robin: by id
	n      int
}

func newFreeAgents(bucket int, s Strategy) *freeAgents {
	return &freeAgents{bucket: bucket, strategy: s, groups: map[string]*ixHeap[*agent]{}}
}

func idleLess(a, b *agent) bool {
	if !a.idleSince.Equal(b.idleSince) {
		return a.idleSince.Before(b.idleSince)
	}
	return a.id < b.id
}

func fewestLess(a, b *agent) bool {
	if a.calls != b.calls {
		return a.calls < b.calls
	}
	return idleLess(a, b)
}

func cmpID(a *agent, id string) int { return strings.Compare(a.id, id) }

func (f *freeAgents) group(a *agent) string {
	if f.strategy == SkillSparing {
		return a.sig
	}
	return ""
}

func (f *freeAgents) add(a *agent) {
	f.n++
	if f.strategy == RoundRobin {
		i, _ := slices.BinarySearchFunc(f.sorted, a.id, cmpID)
		f.sorted = slices.Insert(f.sorted, i, a)
		return
	}
	g := f.group(a)
	h := f.groups[g]
	if h == nil {
		less := idleLess
		if f.strategy == FewestCalls {
			less = fewestLess
		}
		b := f.bucket
		h = newIxHeap(less, func(x *agent, i int) { x.freePos[b] = i })
		f.groups[g] = h
	}
	h.Push(a)
}

func (f *freeAgents) remove(a *agent) {
	f.n--
	if f.strategy == RoundRobin {
		if i, ok := slices.BinarySearchFunc(f.sorted, a.id, cmpID); ok {
			f.sorted = slices.Delete(f.sorted, i, i+1)
		}
		return
	}
	g := f.group(a)
	h := f.groups[g]
	h.Remove(a.freePos[f.bucket])
	if h.Len() == 0 {
		delete(f.groups, g)
	}
}

// best is the first agent in strategy order that ok accepts.
func (f *freeAgents) best(ok func(*agent) bool) *agent {
	if f.strategy == RoundRobin {
		for _, a := range f.sorted {
			if ok(a) {
				return a
			}
		}
		return nil
	}
	var best *agent
	for _, h := range f.groups {
		if a, found := h.BestWhere(ok); found && (best == nil || h.less(a, best)) {
			best = a
		}
	}
	return best
}

// after is round-robin's pick: the first accepted agent whose id follows
// last, wrapping around.
func (f *freeAgents) after(last string, ok func(*agent) bool) *agent {
	i, found := slices.BinarySearchFunc(f.sorted, last, cmpID)
	if found {
		i++
	}
	for k := range f.sorted {
		if a := f.sorted[(i+k)%len(f.sorted)]; ok(a) {
			return a
		}
	}
	return nil
}

// all lists every accepted agent, longest idle first.
func (f *freeAgents) all(ok func(*agent) bool) []*agent {
	// Keep the RingAllMax longest idle in a sorted slice as we go: with
	// thousands of free agents that is far cheaper than sorting them all.
	out := make([]*agent, 0, RingAllMax)
	add := func(a *agent) {
		if !ok(a) {
			return
		}
		if len(out) == RingAllMax && !idleLess(a, out[len(out)-1]) {
			return
		}
		i, _ := slices.BinarySearchFunc(out, a, cmpBy(idleLess))
		if len(out) == RingAllMax {
			out = out[:len(out)-1]
		}
		out = slices.Insert(out, i, a)
	}
	for _, h := range f.groups {
		for _, a := range h.items {
			add(a)
		}
	}
	for _, a := range f.sorted {
		add(a)
	}
	return out
}

// RingAllMax bounds how many phones ring-all rings for one call: the
// longest idle of the free agents. Ringing hundreds of phones for one
// caller helps nobody, and it made a decision cost milliseconds with
// thousands of free agents.
const RingAllMax = 50

// dispatch matches what became available during an event: each freed agent
// takes the best call among every bucket it serves (fair order across
// queues), then each newly routable call, best first, looks for free
// agents. After it, no routable call has a free agent it could use.
func (o *op) dispatch() {
	o.leaveEmpty()
	for _, a := range o.freed {
		for a.free() {
			c := o.e.bestCallFor(a)
			if c == nil {
				break
			}
			// The call's strategy picks among all its free agents; a
			// stays in the loop if another agent freed in this event won.
			o.route(c)
		}
	}
	o.freed = nil
	slices.SortStableFunc(o.routable, cmpBy(callLess))
	for _, c := range o.routable {
		o.route(c)
	}
	o.routable = nil
}

// bestCallFor is the first call in service order that a may take.
func (e *Engine) bestCallFor(a *agent) *call {
	var best *call
	for _, b := range a.buckets {
		if c, ok := e.buckets[b].calls.Top(); ok && (best == nil || callLess(c, best)) {
			best = c
		}
	}
	return best
}

// route offers a routable call to the agents its strategy picks, or
// reserves one for a callback. It does nothing when nobody is free.
func (o *op) route(c *call) {
	if c.heapIdx < 0 {
		return
	}
	b := o.e.buckets[c.bucket]
	picks := o.e.pick(c, b)
	if len(picks) == 0 && len(c.failed) > 0 && b.free.n > 0 {
		// Everyone free has failed this call this round: start over, but
		// not within RetryDelay of the last failure. Parked meanwhile, the
		// call does not stop the agent who just failed it from taking the
		// next call.
		var last time.Time
		for _, t := range c.failed {
			if t.After(last) {
				last = t
			}
		}
		if retry := last.Add(o.e.opts.RetryDelay); o.now.Before(retry) {
			o.e.removeFromHeap(c)
			c.notBefore = retry
			o.schedule(c)
			return
		}
		clear(c.failed)
		picks = o.e.pick(c, b)
	}
	if len(picks) == 0 {
		return
	}
	o.e.removeFromHeap(c)
	if c.q.cfg.Strategy == RoundRobin {
		c.q.rrLast = picks[0].id
	}
	if c.callback {
		o.reserve(c, picks[0])
		return
	}
	c.state = callOffered
	for _, a := range picks {
		o.offer(c, a, ReasonOffer)
	}
}

// pick chooses the agents to offer c to from its bucket's free agents,
// skipping those who failed it. Ring-all picks all; everything else, and a
// callback in a ring-all queue (it reserves one agent), picks one.
func (e *Engine) pick(c *call, b *bucket) []*agent {
	ok := func(a *agent) bool {
		_, failed := c.failed[a.id]
		return !failed
	}
	var one *agent
	switch c.q.cfg.Strategy {
	case RingAll:
		if !c.callback {
			return b.free.all(ok)
		}
		one = b.free.best(ok)
	case RoundRobin:
		one = b.free.after(c.q.rrLast, ok)
	case SkillSparing:
		one = e.sparest(c, b, ok)
	default:
		one = b.free.best(ok)
	}
	if one == nil {
		return nil
	}
	return []*agent{one}
}

// sparest is skill-sparing's pick: the free agent least needed elsewhere.
// Routable calls never wait beside a free agent who could take them, so
// "needed" counts the calls present in other queues that the agent could
// take (ringing someone else, callbacks, or in a stage it serves), then the
// number of other queues it can serve at all; ties go to the longest idle.
// Agents serving the same buckets score the same, so only the head of each
// group is scored.
func (e *Engine) sparest(c *call, b *bucket, ok func(*agent) bool) *agent {
	var best *agent
	var bestNeed [2]int
	for _, h := range b.free.groups {
		a, found := h.BestWhere(ok)
		if !found {
			continue
		}
		need := e.neededElsewhere(a, c.q)
		if best == nil || need[0] < bestNeed[0] || need[0] == bestNeed[0] && (need[1] < bestNeed[1] || need[1] == bestNeed[1] && idleLess(a, best)) {
			best, bestNeed = a, need
		}
	}
	return best
}

// neededElsewhere is how much queues other than q could use a: the calls
// in them that a could take, and how many of them a serves.
func (e *Engine) neededElsewhere(a *agent, q *queueState) [2]int {
	var need [2]int
	for _, id := range a.buckets {
		if b := e.buckets[id]; b.q != q {
			need[0] += b.present
		}
	}
	for _, other := range e.byName {
		if other != q && a.minStage[other.idx] >= 0 {
			need[1]++
		}
	}
	return need
}

// offer rings a for c.
func (o *op) offer(c *call, a *agent, reason string) {
	t := Target{Agent: a.id}
	c.offers = append(c.offers, t)
	if a.minStage[c.q.idx] > 0 {
		c.markOverflowed()
	}
	a.call = c
	o.setState(a, Ringing, reason)
	o.emit(Offer{Call: c.id, Queue: c.q.cfg.Name, Target: t, Timeout: c.q.cfg.RingTimeout})
}

// markOverflowed counts c in its queue's Overflowed the first time it is
// offered to a target that only an overflow step made eligible: passing a
// step while its own agents ring it is not an overflow.
func (c *call) markOverflowed() {
	if !c.overflowed {
		c.overflowed = true
		c.q.stats.overflowed++
	}
}

// reserve holds a for a callback whose turn came; the customer is dialled
// first so no agent rings for a phone nobody answers.
func (o *op) reserve(c *call, a *agent) {
	c.state = callReserved
	if a.minStage[c.q.idx] > 0 {
		c.markOverflowed()
	}
	c.reserved = a
	a.call = c
	o.setState(a, Reserved, ReasonCallback)
	o.emit(StartCallback{Call: c.id, Queue: c.q.cfg.Name, Agent: a.id, Number: c.number})
}

// leaveEmpty lets the live waiting calls of queues with LeaveEmpty go once
// their last agent has logged out. Calls ringing an external URI stay with
// it; callbacks stay too, as their caller was promised a call.
func (o *op) leaveEmpty() {
	for _, q := range o.emptied {
		if !q.cfg.LeaveEmpty || q.servers > 0 {
			continue
		}
		for _, c := range o.e.ordered(q) {
			if c.callback || c.wasCallback || c.state != callWaiting {
				continue
			}
			o.exit(c, ReasonNoAgents)
		}
	}
	o.emptied = nil
}

// ordered lists q's calls in service order.
func (e *Engine) ordered(q *queueState) []*call {
	out := make([]*call, 0, len(q.calls))
	for _, c := range q.calls {
		out = append(out, c)
	}
	slices.SortFunc(out, cmpBy(callLess))
	return out
}

// cmpBy turns a strict order into a comparison for slices.SortFunc.
func cmpBy[T any](less func(a, b T) bool) func(a, b T) int {
	return func(a, b T) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	}
}
