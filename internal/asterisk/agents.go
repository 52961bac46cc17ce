package asterisk

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"
)

// presence is whether each agent's phone can take calls, as Asterisk
// reports its endpoint and device state.
type presence struct {
	mu    sync.Mutex
	agent map[string]string // endpoint (PJSIP/alice) -> agent
	state map[string]bool   // agent -> reachable, as last reported
}

func newPresence() *presence {
	return &presence{agent: map[string]string{}, state: map[string]bool{}}
}

// change records a state and reports whether it is news.
func (p *presence) change(agent string, reachable bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	old, known := p.state[agent]
	p.state[agent] = reachable
	return !known || old != reachable
}

func (p *presence) track(endpoint, agent string) {
	p.mu.Lock()
	p.agent[endpoint] = agent
	p.mu.Unlock()
}

func (p *presence) agentOf(endpoint string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.agent[endpoint]
	return a, ok
}

// all reports every known agent as reachable or not.
func (p *presence) all(reachable bool, report func(string, bool)) {
	p.mu.Lock()
	agents := make([]string, 0, len(p.state))
	for a := range p.state {
		agents = append(agents, a)
	}
	p.mu.Unlock()
	for _, a := range agents {
		report(a, reachable)
	}
}

func (b *Backend) report(agent string, reachable bool) {
	if b.opts.OnReachable == nil || !b.pres.change(agent, reachable) {
		return
	}
	b.log.Info("agent phone", "agent", agent, "reachable", reachable)
	b.opts.OnReachable(agent, reachable)
}

// splitEndpoint splits "PJSIP/alice"; dial strings with more in them
// (Local/100@agents, PJSIP/trunk/sip:...) have no single endpoint state.
func splitEndpoint(ep string) (tech, resource string, ok bool) {
	tech, resource, ok = strings.Cut(ep, "/")
	if !ok || tech == "" || resource == "" || strings.ContainsAny(resource, "/@") || tech == "Local" {
		return "", "", false
	}
	return tech, resource, true
}

// syncAgents subscribes the application to each agent's endpoint and
// device state, then reads the endpoint's state: events change it
// afterwards, and this runs again at every (re)connection and resync.
func (b *Backend) syncAgents(ctx context.Context) {
	if b.opts.Agents == nil || b.opts.OnReachable == nil {
		return
	}
	app := ari.NewKey(ari.ApplicationKey, b.opts.App)
	for _, agent := range b.opts.Agents() {
		if ctx.Err() != nil {
			return
		}
		ep := b.opts.AgentEndpoint(agent)
		tech, res, ok := splitEndpoint(ep)
		if !ok {
			// Asterisk cannot tell: let the agent be offered calls.
			b.report(agent, true)
			continue
		}
		b.pres.track(ep, agent)
		err := call(ctx, "subscribe to "+ep, func() error {
			return b.cl.Application().Subscribe(app, "endpoint:"+ep+",deviceState:"+ep)
		})
		if err != nil {
			b.log.Warn("subscribe to agent endpoint", "agent", agent, "endpoint", ep, "err", err)
		}
		var data *ari.EndpointData
		err = call(ctx, "endpoint "+ep, func() (err error) {
			data, err = b.cl.Endpoint().Data(ari.NewEndpointKey(tech, res))
			return err
		})
		switch {
		case err == nil:
			b.report(agent, data.State == "online")
		case status(err) == 404:
			b.log.Warn("agent endpoint unknown to Asterisk", "agent", agent, "endpoint", ep)
			b.report(agent, false)
		case ctx.Err() == nil:
			b.log.Warn("read agent endpoint state", "agent", agent, "endpoint", ep, "err", err)
		}
	}
}

func (b *Backend) resyncLoop(ctx context.Context) {
	t := time.NewTicker(b.opts.Resync)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if b.isConnected() {
				b.syncAgents(ctx)
			}
		case <-ctx.Done():
			return
		}
	}
}

// endpointState: an endpoint is online while a contact is registered
// (and, with qualify, answering).
func (b *Backend) endpointState(endpoint, state string) {
	if agent, ok := b.pres.agentOf(endpoint); ok {
		b.report(agent, state == "online")
	}
}

// deviceState: UNAVAILABLE and INVALID mean no phone; the in-use states
// still mean a phone is there (the engine knows whether it is busy).
func (b *Backend) deviceState(device, state string) {
	agent, ok := b.pres.agentOf(device)
	if !ok {
		return
	}
	switch state {
	case "UNAVAILABLE", "INVALID":
		b.report(agent, false)
	case "NOT_INUSE", "INUSE", "BUSY", "RINGING", "RINGINUSE", "ONHOLD":
		b.report(agent, true)
	}
}
