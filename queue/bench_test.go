package queue

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchSim drives an engine like a busy contact centre: calls arrive in a
// burst faster than the agents logged in can take them, more agents log in
// later and drain the queues, rings are answered or missed a second later,
// conversations last one to four minutes, and a few callers hang up or ask
// for a callback.
type benchSim struct {
	e       *Engine
	rng     *rand.Rand
	now     time.Time
	events  int
	ringing map[offerKey]bool
	cbDial  []string           // callbacks to answer next second
	ends    map[int64][]string // second -> calls ending then
	waiting map[string]bool    // queued calls, for abandons
	done    int                // calls answered, exited or abandoned
}

type offerKey struct {
	call   string
	target Target
}

func (s *benchSim) apply(as []Action) {
	s.events++
	for _, a := range as {
		switch a := a.(type) {
		case Offer:
			s.ringing[offerKey{a.Call, a.Target}] = true
		case CancelOffer:
			delete(s.ringing, offerKey{a.Call, a.Target})
		case StartCallback:
			s.cbDial = append(s.cbDial, a.Call)
		case ExitCall:
			if a.ToQueue == "" {
				delete(s.waiting, a.Call)
				s.done++
			}
		}
	}
}

func benchOptions(nAgents int) Options {
	strategies := []Strategy{LongestIdle, FewestCalls, RoundRobin, SkillSparing, LongestIdle, FewestCalls, LongestIdle, RoundRobin}
	var opts Options
	for i, st := range strategies {
		name := fmt.Sprintf("q%d", i)
		q := QueueConfig{
			Name: name, Strategy: st, JoinEmpty: true, Skills: map[string]int{name: 3},
			WrapUp: time.Duration(i%3) * 5 * time.Second, MaxWait: 20 * time.Minute,
			Overflow: []Overflow{
				{After: 30 * time.Second, MinLevel: 1},
				{After: 90 * time.Second, Queue: fmt.Sprintf("q%d", (i+1)%len(strategies))},
			},
		}
		opts.Queues = append(opts.Queues, q)
	}
	// A small ring-all team.
	opts.Queues = append(opts.Queues, QueueConfig{Name: "vip", Strategy: RingAll, JoinEmpty: true})
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range nAgents {
		skills := map[string]int{fmt.Sprintf("q%d", i%len(strategies)): 1 + rng.IntN(10)}
		if rng.IntN(10) < 3 {
			skills[fmt.Sprintf("q%d", rng.IntN(len(strategies)))] = 1 + rng.IntN(10)
		}
		if i%500 == 0 {
			skills["vip"] = 5
		}
		opts.Agents = append(opts.Agents, AgentConfig{ID: fmt.Sprintf("agent%05d", i), Skills: skills})
	}
	opts.MaxMissed = 3
	return opts
}

// BenchmarkRoute runs 10k calls through 10k agents per iteration and
// reports the cost per engine event (each Enqueue, OfferAnswered, Tick...).
func BenchmarkRoute(b *testing.B) {
	const nAgents, nCalls = 10_000, 10_000
	opts := benchOptions(nAgents)
	var events, answered int
	for b.Loop() {
		b.StopTimer()
		e, err := New(opts)
		if err != nil {
			b.Fatal(err)
		}
		s := &benchSim{
			e: e, rng: rand.New(rand.NewPCG(3, 4)), now: t0,
			ringing: map[offerKey]bool{}, ends: map[int64][]string{}, waiting: map[string]bool{},
		}
		b.StartTimer()
		// 4k agents start ready; the rest are paused until later.
		for i := range nAgents {
			id := fmt.Sprintf("agent%05d", i)
			s.apply(e.SetReachable(s.now, id, true))
			st := Ready
			if i%10 >= 4 {
				st = Paused
			}
			as, _ := e.SetAgentState(s.now, id, st, "login")
			s.apply(as)
		}
		next := 0
		for sec := int64(1); s.done < nCalls && sec < 3600; sec++ {
			s.now = t0.Add(time.Duration(sec) * time.Second)
			s.step(sec, &next, nCalls, nAgents)
		}
		events += s.events
		if s.done < nCalls {
			b.Fatalf("only %d of %d calls finished", s.done, nCalls)
		}
		for _, q := range e.Snapshot(s.now).Queues {
			answered += q.Answered
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
	b.ReportMetric(float64(answered)/float64(b.N), "answered/op")
}

func (s *benchSim) step(sec int64, next *int, nCalls, nAgents int) {
	e := s.e
	// Rings from last second: 90% answered, the rest missed.
	rings := s.ringing
	s.ringing = map[offerKey]bool{}
	for k := range rings {
		if !s.waiting[k.call] {
			continue // answered by another ring-all agent, or abandoned
		}
		if s.rng.IntN(10) == 0 {
			s.apply(e.OfferFailed(s.now, k.call, k.target, "no_answer"))
			continue
		}
		as := e.OfferAnswered(s.now, k.call, k.target)
		s.apply(as)
		if len(as) > 0 || k.target.URI != "" {
			delete(s.waiting, k.call)
			s.done++
			end := sec + 60 + int64(s.rng.IntN(180))
			s.ends[end] = append(s.ends[end], k.call)
		}
	}
	for _, c := range s.cbDial {
		s.apply(e.CallbackAnswered(s.now, c))
	}
	s.cbDial = s.cbDial[:0]
	for _, c := range s.ends[sec] {
		s.apply(e.CallEnded(s.now, c))
	}
	delete(s.ends, sec)
	// 250 calls a second for 40 seconds.
	for range 250 {
		if *next >= nCalls {
			break
		}
		id := fmt.Sprintf("call%05d", *next)
		q := fmt.Sprintf("q%d", s.rng.IntN(8))
		if *next%100 == 0 {
			q = "vip"
		}
		as, err := e.Enqueue(s.now, Call{ID: id, Queue: q, Priority: s.rng.IntN(10), Customer: id})
		if err != nil {
			panic(err)
		}
		s.waiting[id] = true
		s.apply(as)
		*next++
	}
	// A few callers give up or ask for a callback.
	if sec%5 == 0 {
		n := 0
		for id := range s.waiting {
			if n == 20 {
				break
			}
			n++
			if n%4 == 0 {
				as, err := e.RequestCallback(s.now, id, "+44"+id)
				if err == nil {
					s.apply(as)
				}
				continue
			}
			s.apply(e.Abandon(s.now, id))
			delete(s.waiting, id)
			s.done++
		}
	}
	// The paused agents join in two waves; every two minutes anyone
	// auto-paused for missed rings comes back.
	for i := range nAgents {
		wave := (sec == 30 || sec == 60) && i%10 >= 4 && (i%2 == 0) == (sec == 30)
		if wave || sec%120 == 0 {
			as, err := e.SetAgentState(s.now, fmt.Sprintf("agent%05d", i), Ready, "back")
			if err == nil {
				s.apply(as)
			}
		}
	}
	s.apply(e.Tick(s.now))
}
