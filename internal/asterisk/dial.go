package asterisk

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/contactd/contactd/internal/callflow"
)

// defaultRing is how long a phone rings when the dial gives no limit.
const defaultRing = 30 * time.Second

// Hangup causes (Q.850) in ChannelDestroyed and ChannelHangupRequest.
const (
	causeUnallocated   = 1
	causeNoRoute       = 3
	causeUserBusy      = 17
	causeNoUserResp    = 18
	causeNoAnswer      = 19
	causeSubscrAbsent  = 20
	causeCallRejected  = 21
	causeUnavailable   = 27 // destination out of order
	causeChanUnavailCh = 44
)

// DialAgent rings an agent's phone (their endpoint) and returns its
// channel once answered.
func (b *Backend) DialAgent(ctx context.Context, agent string, d callflow.Dial) (callflow.Party, error) {
	c, err := b.originate(ctx, b.opts.AgentEndpoint(agent), d)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DialURI calls a SIP URI (a customer called back, an outside team)
// through the trunk endpoint.
func (b *Backend) DialURI(ctx context.Context, uri string, d callflow.Dial) (callflow.Party, error) {
	if b.opts.Trunk == "" {
		return nil, fmt.Errorf("dial %s: no asterisk.trunk to dial SIP URIs through", uri)
	}
	c, err := b.originate(ctx, "PJSIP/"+b.opts.Trunk+"/"+uri, d)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// originate places a call into the application and waits for its answer:
// Asterisk reports progress with Dial events, an answer by the channel
// entering Stasis, and a failure by destroying the channel.
func (b *Backend) originate(ctx context.Context, endpoint string, d callflow.Dial) (*Channel, error) {
	if !b.isConnected() {
		return nil, fmt.Errorf("dial %s: not connected to Asterisk", endpoint)
	}
	ring := d.RingTimeout
	if ring <= 0 {
		ring = defaultRing
	}
	c := b.newChannel(newID("dial"), true)
	b.mu.Lock()
	b.chans[c.id] = c
	b.mu.Unlock()
	req := ari.OriginateRequest{
		Endpoint:  endpoint,
		App:       b.opts.App,
		AppArgs:   dialArg,
		ChannelID: c.id,
		CallerID:  d.Caller,
		// Asterisk's own limit is a backstop: ours below comes first.
		Timeout:   int(math.Ceil(ring.Seconds())) + 2,
		Variables: dialVariables(endpoint, d.Headers),
	}
	log := b.log.With("channel", c.id, "endpoint", endpoint)
	bg := context.WithoutCancel(ctx)
	err := start(ctx, "dial "+endpoint, func() error {
		_, err := b.cl.Channel().Originate(nil, req)
		return err
	}, func() { c.Hangup(bg) })
	if err != nil {
		b.forget(c)
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, b.originateErr(endpoint, err)
	}
	log.Debug("dialling")
	t := time.NewTimer(ring)
	defer t.Stop()
	select {
	case <-c.up:
		return c, nil
	case <-c.done:
		select {
		case <-c.up:
			return c, nil // answered and gone at once: the ACD sees it end
		default:
		}
		return nil, c.dialErr(endpoint)
	case <-t.C:
		c.hangup(bg, ReasonHangup, "no_answer")
		return nil, fmt.Errorf("dial %s: %w after %s", endpoint, callflow.ErrNoAnswer, ring)
	case <-ctx.Done():
		c.hangup(bg, ReasonHangup, "normal")
		return nil, fmt.Errorf("dial %s: %w", endpoint, ctx.Err())
	}
}

// originateErr reads a refused originate: an endpoint Asterisk does
// not know, or whose phone is not registered, cannot take the call.
func (b *Backend) originateErr(endpoint string, err error) error {
	switch status(err) {
	case 400, 404, 500:
		return fmt.Errorf("%w: %w", callflow.ErrNotRegistered, err)
	}
	return err
}

// dialErr says why a dialled channel ended before it was answered.
func (c *Channel) dialErr(endpoint string) error {
	c.mu.Lock()
	st, cause := c.dialStatus, c.cause
	c.mu.Unlock()
	var kind error
	switch {
	case st == "BUSY" || cause == causeUserBusy:
		kind = callflow.ErrBusy
	case st == "NOANSWER" || cause == causeNoUserResp || cause == causeNoAnswer:
		kind = callflow.ErrNoAnswer
	case cause == causeCallRejected:
		kind = callflow.ErrDeclined
	case st == "CHANUNAVAIL" || cause == causeSubscrAbsent || cause == causeUnallocated ||
		cause == causeNoRoute || cause == causeUnavailable || cause == causeChanUnavailCh:
		kind = callflow.ErrNotRegistered
	default:
		return fmt.Errorf("dial %s: failed (dial status %q, cause %d)", endpoint, st, cause)
	}
	return fmt.Errorf("dial %s: %w (dial status %q, cause %d)", endpoint, kind, st, cause)
}

// dialVariables passes the call's headers (call id, customer, timeline
// link) to a PJSIP phone as SIP headers.
func dialVariables(endpoint string, headers map[string]string) map[string]string {
	if len(headers) == 0 || !strings.HasPrefix(endpoint, "PJSIP/") {
		return nil
	}
	vars := make(map[string]string, len(headers))
	for k, v := range headers {
		vars["PJSIP_HEADER(add,"+k+")"] = v
	}
	return vars
}
