package web

import (
	"context"
	"encoding/json"
	"time"

	"github.com/contactd/contactd/internal/live"
)

// Live event types for the wallboard and agent desks.
const (
	TypeQueueUpdate = "queue_update"
	TypeAgentUpdate = "agent_update"
)

// UpdateOptions configures PublishUpdates.
type UpdateOptions struct {
	Hub    *live.Hub
	Queues Queues
	Agents Agents
	// Every is how often the state is looked at (default 250 ms): a
	// change reaches the wallboard within that.
	Every time.Duration
}

// PublishUpdates puts queue and agent changes on the live stream until ctx
// ends: a queue_update (the body of GET /api/v1/queues) whenever anything
// in it changed, at most once per tick, and an agent_update for each agent
// whose view changed. Waiting times grow every tick, so while callers wait
// the wallboard gets a fresh queue_update each tick, and its clocks run
// without polling.
func PublishUpdates(ctx context.Context, opts UpdateOptions) {
	if opts.Every <= 0 {
		opts.Every = 250 * time.Millisecond
	}
	t := time.NewTicker(opts.Every)
	defer t.Stop()
	var lastQueues []byte
	lastAgents := map[string][]byte{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if opts.Queues != nil {
			body := queuesBody(opts.Queues.Snapshot())
			if b, err := json.Marshal(body); err == nil && string(b) != string(lastQueues) {
				lastQueues = b
				opts.Hub.Publish(TypeQueueUpdate, "", body)
			}
		}
		if opts.Agents != nil {
			for _, ag := range opts.Agents.Agents() {
				b, err := json.Marshal(ag)
				if err != nil || string(b) == string(lastAgents[ag.ID]) {
					continue
				}
				lastAgents[ag.ID] = b
				opts.Hub.Publish(TypeAgentUpdate, ag.ID, ag)
			}
		}
	}
}
