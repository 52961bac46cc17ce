// Package queue will be the ACD: queues, agents and their states, routing
// strategies, priorities, wait estimates and callbacks, pure and driven by an
// injected clock. Until it lands, a call sent to a queue hears the queue's
// unavailable prompt and is hung up (see internal/callflow).
package queue
