package queue

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Engine is the ACD. It is not safe for concurrent use: the driver
// serialises calls and passes the current time to each.
type Engine struct {
	opts    Options
	queues  map[string]*queueState
	byName  []*queueState // sorted by name; a queue's idx is its place here
	buckets []*bucket
	agents  map[string]*agent
	calls   map[string]*call       // in a queue: waiting, being offered, or a callback
	active  map[string]*activeCall // answered, until CallEnded
	timers  *ixHeap[*timer]
	seq     uint64 // enqueue order, the last tie-break of service order
	tseq    uint64
}

type queueState struct {
	cfg         QueueConfig
	idx         int
	stageBucket []int // overflow stage -> bucket of the agents who may take such a call
	exitTo      *queueState
	calls       map[string]*call
	servers     int    // agents logged in, reachable and eligible at some stage
	rrLast      string // round-robin pointer: the agent id offered last
	stats       queueStats
}

type queueStats struct {
	answered, answeredInSL, abandoned, abandonedAfterSL int
	callbacks, overflowed, timedOut                     int
}

// bucket groups the calls that the same agents may take: one queue at one
// overflow stage. Agents are indexed in every bucket they are eligible for,
// so routing never scans agents who cannot take the call.
type bucket struct {
	id      int
	q       *queueState
	calls   *ixHeap[*call] // routable calls in service order
	free    *freeAgents    // free (ready, reachable) eligible agents
	members map[*agent]struct{}
	present int // calls in the queue at this bucket's stages, in any state
}

type callState int

const (
	callWaiting  callState = iota // wants an agent: in its bucket unless parked for a retry
	callOffered                   // offers outstanding
	callReserved                  // callback: the customer is being dialled
)

type call struct {
	id, customer string
	priority     int
	q            *queueState
	queuedAt     time.Time // first joined any queue: service order and service level
	enteredAt    time.Time // joined its current queue: overflow and max wait
	seq          uint64
	front        bool // a failed callback: ahead of its priority class
	stage        int  // overflow steps passed in its current queue
	state        callState
	bucket       int
	heapIdx      int // in buckets[bucket].calls, -1 when not routable
	offers       []Target
	failed       map[string]time.Time // agents who failed it this round, and when
	callback     bool                 // the caller hung up and waits to be called back
	wasCallback  bool                 // called back: never timed out or dropped for no agents
	number       string
	attempts     int
	reserved     *agent
	expired      bool      // max wait passed while being offered: leaves if the offers fail
	notBefore    time.Time // parked until then: a retry after everyone failed, or a callback's
	overflowed   bool      // counted in its queue's Overflowed
	timerGen     uint64
}

type activeCall struct {
	agent      string // "" when answered by an external URI
	q          *queueState
	answeredAt time.Time
}

// callLess is service order: priority class, then failed callbacks put to
// the front of their class, then the time first queued, then arrival.
func callLess(a, b *call) bool {
	if a.priority != b.priority {
		return a.priority < b.priority
	}
	if a.front != b.front {
		return a.front
	}
	if !a.queuedAt.Equal(b.queuedAt) {
		return a.queuedAt.Before(b.queuedAt)
	}
	return a.seq < b.seq
}

func (c *call) hasOffer(t Target) bool { return slices.Contains(c.offers, t) }

func (c *call) removeOffer(t Target) {
	c.offers = slices.DeleteFunc(c.offers, func(x Target) bool { return x == t })
}

// New builds an engine. Options are checked: queue names unique and
// non-empty, levels 1-10, overflow and exit queues known, durations not
// negative.
func New(opts Options) (*Engine, error) {
	if opts.MaxMissed < 0 || opts.HandleTimeSamples < 0 || opts.DefaultHandleTime < 0 || opts.CallbackRetries < 0 || opts.CallbackRetryDelay < 0 {
		return nil, fmt.Errorf("new engine: negative option: %w", ErrInvalid)
	}
	if opts.HandleTimeSamples == 0 {
		opts.HandleTimeSamples = DefaultHandleTimeSamples
	}
	if opts.DefaultHandleTime == 0 {
		opts.DefaultHandleTime = DefaultHandleTime
	}
	if opts.CallbackRetries == 0 {
		opts.CallbackRetries = DefaultCallbackRetries
	}
	switch {
	case opts.RetryDelay == 0:
		opts.RetryDelay = DefaultRetryDelay
	case opts.RetryDelay < 0:
		opts.RetryDelay = 0
	}
	e := &Engine{
		opts:   opts,
		queues: map[string]*queueState{},
		agents: map[string]*agent{},
		calls:  map[string]*call{},
		active: map[string]*activeCall{},
	}
	e.timers = newIxHeap(timerLess, nil)
	for _, qc := range opts.Queues {
		qc, err := normalizeQueue(qc)
		if err != nil {
			return nil, fmt.Errorf("new engine: %w", err)
		}
		if e.queues[qc.Name] != nil {
			return nil, fmt.Errorf("new engine: duplicate queue %s: %w", qc.Name, ErrInvalid)
		}
		e.queues[qc.Name] = &queueState{cfg: qc, calls: map[string]*call{}}
	}
	e.byName = slices.SortedFunc(maps.Values(e.queues), func(a, b *queueState) int { return strings.Compare(a.cfg.Name, b.cfg.Name) })
	for i, q := range e.byName {
		q.idx = i
		for j, o := range q.cfg.Overflow {
			if o.Queue != "" && e.queues[o.Queue] == nil {
				return nil, fmt.Errorf("new engine: queue %s overflow %d to %q: %w", q.cfg.Name, j, o.Queue, ErrUnknownQueue)
			}
		}
		if n := q.cfg.OnMaxWait.Queue; n != "" {
			if q.exitTo = e.queues[n]; q.exitTo == nil {
				return nil, fmt.Errorf("new engine: queue %s max wait exit to %q: %w", q.cfg.Name, n, ErrUnknownQueue)
			}
		}
		e.addBuckets(q)
	}
	o := e.begin(time.Time{})
	for _, ac := range opts.Agents {
		if err := ValidateAgent(ac); err != nil {
			return nil, fmt.Errorf("new engine: %w", err)
		}
		if e.agents[ac.ID] != nil {
			return nil, fmt.Errorf("new engine: duplicate agent %s: %w", ac.ID, ErrInvalid)
		}
		o.addAgent(ac)
	}
	return e, nil
}

// addBuckets gives each overflow stage of q its bucket. A URI step does
// not change which agents qualify, so its stage shares the previous bucket.
func (e *Engine) addBuckets(q *queueState) {
	q.stageBucket = make([]int, len(q.cfg.Overflow)+1)
	for stage := range q.stageBucket {
		if stage > 0 {
			st := q.cfg.Overflow[stage-1]
			if st.Queue == "" && st.MinLevel == 0 {
				q.stageBucket[stage] = q.stageBucket[stage-1]
				continue
			}
		}
		b := &bucket{id: len(e.buckets), q: q, members: map[*agent]struct{}{}}
		b.calls = newIxHeap(callLess, func(c *call, i int) { c.heapIdx = i })
		b.free = newFreeAgents(b.id, q.cfg.Strategy)
		e.buckets = append(e.buckets, b)
		q.stageBucket[stage] = b.id
	}
}

// op collects what one event decides: the actions in order, and the agents
// and calls that became available, matched up by dispatch at the end.
type op struct {
	e        *Engine
	now      time.Time
	out      []Action
	freed    []*agent
	routable []*call
	emptied  []*queueState
}

func (e *Engine) begin(now time.Time) *op { return &op{e: e, now: now} }

func (o *op) emit(a Action) { o.out = append(o.out, a) }

// finish matches free agents with waiting calls and returns the actions.
func (o *op) finish() []Action {
	o.dispatch()
	return o.out
}

// makeRoutable puts a waiting call where agents can find it, unless it is
// parked until a retry is due.
func (o *op) makeRoutable(c *call) {
	c.state = callWaiting
	if !c.notBefore.IsZero() && o.now.Before(c.notBefore) {
		return
	}
	c.notBefore = time.Time{}
	o.e.insertWaiting(c)
	o.routable = append(o.routable, c)
}

func (e *Engine) insertWaiting(c *call) {
	if c.heapIdx >= 0 {
		e.removeFromHeap(c)
	}
	c.bucket = c.q.stageBucket[c.stage]
	e.buckets[c.bucket].calls.Push(c)
}

func (e *Engine) removeFromHeap(c *call) {
	if c.heapIdx >= 0 {
		e.buckets[c.bucket].calls.Remove(c.heapIdx)
	}
}

// count adds d to the present count of c's stage bucket; called as a call
// enters or leaves a queue or a stage.
func (e *Engine) count(c *call, d int) {
	e.buckets[c.q.stageBucket[c.stage]].present += d
}

// dropCall forgets a call that left its queue.
func (e *Engine) dropCall(c *call) {
	e.count(c, -1)
	e.removeFromHeap(c)
	delete(c.q.calls, c.id)
	delete(e.calls, c.id)
	c.timerGen++
}

// exit ends a call's wait with reason.
func (o *op) exit(c *call, reason string) {
	o.e.dropCall(c)
	o.emit(ExitCall{Call: c.id, Queue: c.q.cfg.Name, Reason: reason})
}

// cancelOffers stops every outstanding offer of c and releases the agents.
func (o *op) cancelOffers(c *call, reason string) {
	offers := c.offers
	c.offers = nil
	for _, t := range offers {
		o.emit(CancelOffer{Call: c.id, Target: t})
		if a := o.e.agents[t.Agent]; t.Agent != "" && a != nil && a.call == c {
			o.release(a, reason)
		}
	}
}

// offersEnded returns a call whose last offer failed to waiting, or lets
// it leave if its max wait passed while it rang.
func (o *op) offersEnded(c *call) {
	if len(c.offers) > 0 || c.state != callOffered {
		return
	}
	c.state = callWaiting
	if c.expired {
		c.expired = false
		o.timeout(c)
		return
	}
	o.makeRoutable(c)
}
