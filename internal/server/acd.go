package server

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/media"
	"github.com/contactd/contactd/internal/sipua"
	"github.com/contactd/contactd/ivr"
	"github.com/contactd/contactd/queue"
)

// engineOptions turns the config's queues into the engine's.
func engineOptions(cfg *config.Config, agents []queue.AgentConfig) queue.Options {
	names := make([]string, 0, len(cfg.Queues))
	for n := range cfg.Queues {
		names = append(names, n)
	}
	sort.Strings(names)
	opts := queue.Options{Agents: agents, MaxMissed: cfg.ACD.MaxMissed}
	if opts.MaxMissed < 0 {
		opts.MaxMissed = 0 // never
	}
	for _, n := range names {
		q := cfg.Queues[n]
		qc := queue.QueueConfig{
			Name: n, Skills: q.Skills, Strategy: queue.Strategy(q.Strategy),
			RingTimeout: time.Duration(q.RingTimeout), WrapUp: time.Duration(q.WrapUp),
			ServiceLevel: time.Duration(q.ServiceLevel), ServiceLevelPct: q.ServiceLevelPct / 100,
			MaxWait: time.Duration(q.MaxWait), OnMaxWait: queue.Exit{Queue: q.MaxWaitQueue},
			JoinEmpty: q.JoinEmpty == nil || *q.JoinEmpty, LeaveEmpty: q.LeaveEmpty,
		}
		for _, o := range q.Overflow {
			qc.Overflow = append(qc.Overflow, queue.Overflow{After: time.Duration(o.After), Queue: o.Queue, MinLevel: o.MinLevel, URI: o.URI})
		}
		opts.Queues = append(opts.Queues, qc)
	}
	return opts
}

// waitSettings turns the config's queues into what callers hear.
func waitSettings(cfg *config.Config) (map[string]callflow.Queue, callflow.WaitPrompts) {
	prompt := func(file string) ivr.Prompt {
		if file == "" {
			return ivr.Prompt{}
		}
		return cfg.Prompt(file)
	}
	key := func(k string) byte {
		if k == "" {
			return 0
		}
		return k[0]
	}
	queues := map[string]callflow.Queue{}
	for name, q := range cfg.Queues {
		var cq callflow.Queue
		if q.Unavailable != "" {
			cq.Unavailable = []ivr.Prompt{cfg.QueuePrompt(name)}
		}
		if q.Music != "" {
			cq.Music = []ivr.Prompt{prompt(q.Music)}
		}
		cq.AnnounceEvery = time.Duration(q.AnnounceEvery)
		cq.CallbackKey, cq.ExitKey = key(q.CallbackKey), key(q.ExitKey)
		cq.Record = cfg.Records(name)
		cq.Survey = cfg.Survey(name)
		queues[name] = cq
	}
	qp := cfg.QueuePrompts
	wp := callflow.WaitPrompts{
		Hold: prompt(qp.Hold), Position: prompt(qp.Position), InLine: prompt(qp.InLine), Wait: prompt(qp.Wait),
		Minutes: prompt(qp.Minutes), Minute: prompt(qp.Minute), WaitShort: prompt(qp.WaitShort),
		CallbackOffer: prompt(qp.CallbackOffer), CallbackConfirm: prompt(qp.CallbackConfirm),
		CallbackIntro: prompt(qp.CallbackIntro), Goodbye: prompt(qp.Goodbye),
	}
	if qp.Numbers != "" {
		wp.Number = func(n int) ivr.Prompt { return prompt(qp.NumberFile(n)) }
	}
	return queues, wp
}

// callbackURI fills the config's template with a customer's number.
func callbackURI(cfg *config.Config) func(string) string {
	if cfg.Callbacks.URI == "" {
		return nil
	}
	return func(number string) string { return strings.ReplaceAll(cfg.Callbacks.URI, "{number}", number) }
}

// sipDialer places the ACD's calls through native SIP.
type sipDialer struct{ sip *sipua.Server }

func (d sipDialer) DialAgent(ctx context.Context, agent string, o callflow.Dial) (callflow.Party, error) {
	leg, err := d.sip.DialAgent(ctx, agent, sipua.DialOptions{Caller: o.Caller, Headers: o.Headers, RingTimeout: o.RingTimeout})
	if err != nil {
		return nil, dialErr(err)
	}
	return leg, nil
}

func (d sipDialer) DialURI(ctx context.Context, uri string, o callflow.Dial) (callflow.Party, error) {
	leg, err := d.sip.Dial(ctx, sipua.DialOptions{Contact: uri, Caller: o.Caller, Headers: o.Headers, RingTimeout: o.RingTimeout})
	if err != nil {
		return nil, dialErr(err)
	}
	return leg, nil
}

// dialErr marks sipua's failures with callflow's kinds.
func dialErr(err error) error {
	for _, m := range []struct{ from, to error }{
		{sipua.ErrNoAnswer, callflow.ErrNoAnswer},
		{sipua.ErrBusy, callflow.ErrBusy},
		{sipua.ErrDeclined, callflow.ErrDeclined},
		{sipua.ErrNotRegistered, callflow.ErrNotRegistered},
	} {
		if errors.Is(err, m.from) {
			return fmt.Errorf("%w: %w", m.to, err)
		}
	}
	return err
}

// sipBridger bridges two native SIP legs' media.
type sipBridger struct{ opts media.BridgeOptions }

func (b sipBridger) Bridge(x, y callflow.Party, tap func(dir int, pcm []int16)) (func(), error) {
	mx, ok1 := x.(sipua.MediaLeg)
	my, ok2 := y.(sipua.MediaLeg)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("bridge %s and %s: not native SIP legs", x.ID(), y.ID())
	}
	opts := b.opts
	opts.Tap = tap
	br := sipua.Connect(mx, my, opts)
	return br.Stop, nil
}
