package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/contactd/contactd/internal/agentdb"
	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/sipua"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/queue"
)

// directory is the set of agents: those of the config file, overridden
// by those saved through the API. It answers the registrar's password
// look-ups and the API, and keeps the ACD's agents in step.
type directory struct {
	db  *agentdb.DB
	reg *sipua.Registrar // set once made
	acd *callflow.ACD

	mu     sync.RWMutex
	agents map[string]agentEntry
}

type agentEntry struct {
	name, password string
	skills         map[string]int
	source         string // "config" or "api"
}

// newDirectory merges the config's agents with the database's.
func newDirectory(ctx context.Context, cfg *config.Config, db *agentdb.DB) (*directory, error) {
	d := &directory{db: db, agents: map[string]agentEntry{}}
	for id, a := range cfg.Agents {
		d.agents[id] = agentEntry{name: a.Name, password: a.Password, skills: maps.Clone(a.Skills), source: "config"}
	}
	saved, deleted, err := db.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("load agents: %w", err)
	}
	for _, id := range deleted {
		delete(d.agents, id)
	}
	for _, a := range saved {
		d.agents[a.ID] = agentEntry{name: a.Name, password: a.Password, skills: maps.Clone(a.Skills), source: "api"}
	}
	return d, nil
}

// Password is the registrar's credential look-up.
func (d *directory) Password(user string) (string, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	a, ok := d.agents[user]
	return a.password, ok
}

// queueAgents is the agents as the engine starts with them.
func (d *directory) queueAgents() []queue.AgentConfig {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]queue.AgentConfig, 0, len(d.agents))
	for id, a := range d.agents {
		out = append(out, queue.AgentConfig{ID: id, Name: a.name, Skills: maps.Clone(a.skills)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Agents lists every agent with registration and live state.
func (d *directory) Agents() []web.Agent {
	states := map[string]queue.AgentSnapshot{}
	if d.acd != nil {
		for _, a := range d.acd.Snapshot().Agents {
			states[a.ID] = a
		}
	}
	d.mu.RLock()
	ids := make([]string, 0, len(d.agents))
	for id := range d.agents {
		ids = append(ids, id)
	}
	entries := maps.Clone(d.agents)
	d.mu.RUnlock()
	sort.Strings(ids)
	out := make([]web.Agent, 0, len(ids))
	for _, id := range ids {
		out = append(out, d.view(id, entries[id], states[id]))
	}
	return out
}

func (d *directory) view(id string, a agentEntry, st queue.AgentSnapshot) web.Agent {
	var contacts []sipua.Binding
	if d.reg != nil {
		contacts = d.reg.Contacts(id)
	}
	if contacts == nil {
		contacts = []sipua.Binding{}
	}
	skills := a.skills
	if skills == nil {
		skills = map[string]int{}
	}
	state := string(st.State)
	if state == "" {
		state = string(queue.LoggedOut)
	}
	return web.Agent{
		ID: id, Name: a.name, Skills: skills, Registered: len(contacts) > 0, Contacts: contacts,
		State: state, Reason: st.Reason, Since: st.Since, Calls: st.Calls, Missed: st.Missed,
		CurrentCall: st.CurrentCall, Source: a.source,
	}
}

func (d *directory) agent(id string) (web.Agent, error) {
	for _, a := range d.Agents() {
		if a.ID == id {
			return a, nil
		}
	}
	return web.Agent{}, fmt.Errorf("agent %s: %w", id, web.ErrNotFound)
}

// PutAgent creates or changes an agent, saving it first so a restart
// keeps it.
func (d *directory) PutAgent(ctx context.Context, id string, in web.AgentInput) (web.Agent, bool, error) {
	if !config.ValidAgentID(id) {
		return web.Agent{}, false, &web.InvalidError{Problem: "agent id must be letters, digits, '.', '-' or '_' (it is the SIP user name)"}
	}
	d.mu.RLock()
	old, exists := d.agents[id]
	d.mu.RUnlock()
	pw := in.Password
	if pw == "" && exists {
		pw = old.password // a change of skills need not repeat the password
	}
	if len(pw) < 6 {
		return web.Agent{}, false, &web.InvalidError{Problem: "password: need at least 6 characters"}
	}
	skills := map[string]int{}
	for s, lvl := range in.Skills {
		if s == "" || lvl < 1 || lvl > 10 {
			return web.Agent{}, false, &web.InvalidError{Problem: fmt.Sprintf("skills.%s: level %d is outside 1-10", s, lvl)}
		}
		skills[s] = lvl
	}
	name := in.Name
	if name == "" {
		name = id
	}
	if err := d.db.Put(ctx, agentdb.Agent{ID: id, Name: name, Password: pw, Skills: skills, UpdatedAt: time.Now()}); err != nil {
		return web.Agent{}, false, fmt.Errorf("save agent %s: %w", id, err)
	}
	d.mu.Lock()
	d.agents[id] = agentEntry{name: name, password: pw, skills: skills, source: "api"}
	d.mu.Unlock()
	d.acd.UpsertAgent(queue.AgentConfig{ID: id, Name: name, Skills: maps.Clone(skills)})
	if d.reg != nil && d.reg.Registered(id) {
		d.acd.SetReachable(id, true)
	}
	a, err := d.agent(id)
	return a, !exists, err
}

// DeleteAgent removes an agent: logged out, never offered a call again,
// and their phone can no longer register.
func (d *directory) DeleteAgent(ctx context.Context, id string) error {
	d.mu.RLock()
	_, exists := d.agents[id]
	d.mu.RUnlock()
	if !exists {
		return fmt.Errorf("agent %s: %w", id, web.ErrNotFound)
	}
	if err := d.db.Delete(ctx, id, time.Now()); err != nil {
		return fmt.Errorf("delete agent %s: %w", id, err)
	}
	d.mu.Lock()
	delete(d.agents, id)
	d.mu.Unlock()
	if err := d.acd.RemoveAgent(id); err != nil && !errors.Is(err, queue.ErrUnknownAgent) {
		return fmt.Errorf("delete agent %s: %w", id, err)
	}
	return nil
}

// SetState is an agent (or supervisor) changing the agent's state.
func (d *directory) SetState(ctx context.Context, id string, in web.StateInput) (web.Agent, error) {
	d.mu.RLock()
	_, exists := d.agents[id]
	d.mu.RUnlock()
	if !exists {
		return web.Agent{}, fmt.Errorf("agent %s: %w", id, web.ErrNotFound)
	}
	s := queue.AgentState(in.State)
	switch s {
	case queue.Ready, queue.LoggedOut:
	case queue.Paused:
		if in.Reason == "" {
			in.Reason = "paused"
		}
	default:
		return web.Agent{}, &web.InvalidError{Problem: fmt.Sprintf("state %q: want ready, paused or logged_out", in.State)}
	}
	if err := d.acd.SetAgentState(id, s, in.Reason); err != nil {
		if errors.Is(err, queue.ErrUnknownAgent) {
			return web.Agent{}, fmt.Errorf("agent %s: %w", id, web.ErrNotFound)
		}
		return web.Agent{}, &web.InvalidError{Problem: err.Error()}
	}
	return d.agent(id)
}
