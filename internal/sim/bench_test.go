package sim_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/sim"
	"github.com/contactd/contactd/queue"
)

// Routing decisions at scale, through the engine's public API: 10,000
// agents and 10,000 waiting calls. Each iteration restores the state it
// found, so every decision is made against the same load; the decision
// itself is timed separately from the bookkeeping around it and reported
// as ns/decision.

const (
	benchAgents = 10_000
	benchCalls  = 10_000
	benchQueues = 8
)

var t0 = time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)

var strategies = []queue.Strategy{queue.LongestIdle, queue.SkillSparing, queue.FewestCalls, queue.RoundRobin}

// agentSkills gives agent i its home queue and, for three in ten, a
// second one, so queues share agents the way a real centre's do.
func agentSkills(rng *rand.Rand, i int) map[string]int {
	skills := map[string]int{fmt.Sprintf("q%d", i%benchQueues): 5}
	if rng.IntN(10) < 3 {
		skills[fmt.Sprintf("q%d", rng.IntN(benchQueues))] = 5
	}
	return skills
}

func queues(s queue.Strategy, extra ...string) []queue.QueueConfig {
	var qs []queue.QueueConfig
	for i := range benchQueues {
		qs = append(qs, queue.QueueConfig{Name: fmt.Sprintf("q%d", i), Strategy: s, JoinEmpty: true})
	}
	for _, name := range extra {
		qs = append(qs, queue.QueueConfig{Name: name, Strategy: s, JoinEmpty: true})
	}
	return qs
}

// must is for setup and calls that cannot fail in these benchmarks.
func must(as []queue.Action, err error) []queue.Action {
	if err != nil {
		panic(err)
	}
	return as
}

// offerOf is the first offer in as.
func offerOf(as []queue.Action) (queue.Offer, bool) {
	for _, a := range as {
		if o, ok := a.(queue.Offer); ok {
			return o, true
		}
	}
	return queue.Offer{}, false
}

// BenchmarkAgentReady: every agent is on a call and 10,000 calls wait in
// 8 queues. One agent's call ends; the engine finds the best call among
// every queue it serves and offers it (the timed decision). Then the
// agent answers and a new caller joins, so 10,000 still wait.
func BenchmarkAgentReady(b *testing.B) {
	for _, st := range strategies {
		b.Run(string(st), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			opts := queue.Options{Queues: queues(st)}
			for i := range benchAgents {
				opts.Agents = append(opts.Agents, queue.AgentConfig{ID: fmt.Sprintf("a%05d", i), Skills: agentSkills(rng, i)})
			}
			e, err := queue.New(opts)
			if err != nil {
				b.Fatal(err)
			}
			now := t0
			onCall := make([]string, benchAgents) // agent index -> its call
			agentIdx := map[string]int{}
			for i := range benchAgents {
				id := fmt.Sprintf("a%05d", i)
				agentIdx[id] = i
				e.SetReachable(now, id, true)
				must(e.SetAgentState(now, id, queue.Ready, "login"))
			}
			next := 0
			enqueue := func() []queue.Action {
				id := fmt.Sprintf("c%07d", next)
				next++
				now = now.Add(time.Millisecond)
				return must(e.Enqueue(now, queue.Call{ID: id, Queue: fmt.Sprintf("q%d", rng.IntN(benchQueues))}))
			}
			// Fill every agent, then leave benchCalls waiting.
			for busy := 0; busy < benchAgents; {
				if o, ok := offerOf(enqueue()); ok {
					e.OfferAnswered(now, o.Call, o.Target)
					onCall[agentIdx[o.Target.Agent]] = o.Call
					busy++
				}
			}
			for range benchCalls {
				if _, ok := offerOf(enqueue()); ok {
					b.Fatal("a call was offered with every agent busy")
				}
			}
			var decide time.Duration
			k := 0
			for b.Loop() {
				i := k % benchAgents
				k++
				now = now.Add(time.Millisecond)
				start := time.Now()
				as := e.CallEnded(now, onCall[i])
				decide += time.Since(start)
				o, ok := offerOf(as)
				if !ok || agentIdx[o.Target.Agent] != i {
					b.Fatalf("agent %d freed but no offer to it: %v", i, as)
				}
				e.OfferAnswered(now, o.Call, o.Target)
				onCall[i] = o.Call
				enqueue()
			}
			b.ReportMetric(float64(decide.Nanoseconds())/float64(k), "ns/decision")
		})
	}
}

// BenchmarkCallArrives: 10,000 agents are free for 8 queues, and 10,000
// calls wait in a backlog queue whose own 500 agents are all busy. A call
// arrives at one of the 8 queues and the strategy picks among its free
// agents (the timed decision); then the call is answered and ends, so the
// agent is free again. Ring-all rings every free agent of the queue, so
// its decision costs in proportion to them.
func BenchmarkCallArrives(b *testing.B) {
	for _, st := range append(strategies, queue.RingAll) {
		b.Run(string(st), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			opts := queue.Options{Queues: queues(st, "backlog")}
			for i := range benchAgents {
				opts.Agents = append(opts.Agents, queue.AgentConfig{ID: fmt.Sprintf("a%05d", i), Skills: agentSkills(rng, i)})
			}
			const backlogAgents = 500
			for i := range backlogAgents {
				opts.Agents = append(opts.Agents, queue.AgentConfig{ID: fmt.Sprintf("b%03d", i), Skills: map[string]int{"backlog": 5}})
			}
			e, err := queue.New(opts)
			if err != nil {
				b.Fatal(err)
			}
			now := t0
			for i := range backlogAgents {
				id := fmt.Sprintf("b%03d", i)
				e.SetReachable(now, id, true)
				must(e.SetAgentState(now, id, queue.Ready, "login"))
			}
			for i := range backlogAgents + benchCalls {
				as := must(e.Enqueue(now, queue.Call{ID: fmt.Sprintf("k%06d", i), Queue: "backlog"}))
				for _, a := range as {
					if o, ok := a.(queue.Offer); ok {
						e.OfferAnswered(now, o.Call, o.Target)
					}
				}
			}
			for i := range benchAgents {
				id := fmt.Sprintf("a%05d", i)
				e.SetReachable(now, id, true)
				must(e.SetAgentState(now, id, queue.Ready, "login"))
			}
			var decide time.Duration
			k := 0
			for b.Loop() {
				id := fmt.Sprintf("c%07d", k)
				q := fmt.Sprintf("q%d", k%benchQueues)
				k++
				now = now.Add(time.Millisecond)
				start := time.Now()
				as := must(e.Enqueue(now, queue.Call{ID: id, Queue: q}))
				decide += time.Since(start)
				o, ok := offerOf(as)
				if !ok {
					b.Fatalf("call %s with free agents got no offer", id)
				}
				e.OfferAnswered(now, o.Call, o.Target)
				e.CallEnded(now, id)
			}
			b.ReportMetric(float64(decide.Nanoseconds())/float64(k), "ns/decision")
		})
	}
}

// BenchmarkSimulatedDay: one day of the 100-agent centre in
// testdata/day100.yaml under its configured strategies (skill-sparing),
// wait estimates included. ns/op is the time to simulate the day.
func BenchmarkSimulatedDay(b *testing.B) {
	sc, err := sim.Load("testdata/day100.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var calls, events int
	for b.Loop() {
		rep, err := sim.Run(sc, sim.Options{Strategies: []string{"as-configured"}})
		if err != nil {
			b.Fatal(err)
		}
		calls, events = rep.Calls, rep.Results[0].Events
	}
	b.ReportMetric(float64(calls), "calls/day")
	b.ReportMetric(float64(events), "events/day")
}
