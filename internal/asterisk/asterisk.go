// Package asterisk is contactd's ARI backend: contactd is a Stasis
// application of an existing Asterisk, which owns SIP and media, and runs
// the same call flow as native mode on the channels Asterisk hands it.
//
// It uses ari/v5's REST client and event types. The events websocket is
// dialled here rather than through the client's Connect, whose loop
// blocks until the first connection, retries at a fixed pace and cannot
// be stopped by a context; here it reconnects with backoff until the
// context of Serve ends.
package asterisk

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/websocket"

	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/recording"
)

// Handler runs one call from arrival to hang-up: *callflow.Flow.
type Handler interface {
	Handle(ctx context.Context, leg callflow.Leg)
}

// Recordings finds the recording contactd opened for a call, so that the
// bridge recording Asterisk makes carries its id: *recording.Recorder.
type Recordings interface {
	ActiveForCall(callID string) (*recording.Active, bool)
}

// Options configures a Backend.
type Options struct {
	// URL is ARI's base (http://127.0.0.1:8088/ari); Username and
	// Password are an ari.conf user's; App is the Stasis application.
	URL, Username, Password, App string
	// MediaListen is where prompts are served to Asterisk (host:port;
	// port 0 picks one); MediaURL is how Asterisk reaches it, default
	// http://<bound address>.
	MediaListen string
	MediaURL    string
	// Flow runs each call that enters the application.
	Flow Handler
	// AgentEndpoint is an agent's dial string (PJSIP/alice).
	AgentEndpoint func(agent string) string
	// Agents lists the agents whose reachability OnReachable reports,
	// read again at each resync; either nil turns reachability off.
	Agents      func() []string
	OnReachable func(agent string, reachable bool)
	// Trunk is the PJSIP endpoint sip: URIs are dialled through.
	Trunk string
	// Recordings names bridge recordings after contactd's; nil names
	// them after the call.
	Recordings Recordings
	// MinBackoff and MaxBackoff bound the wait between connection
	// attempts (default 500ms and 30s).
	MinBackoff, MaxBackoff time.Duration
	// LostAfter is how long Asterisk may be unreachable before the calls
	// it had are given up and agents marked unreachable (default 15s).
	LostAfter time.Duration
	// Resync is how often agents' endpoints are read again (default 30s).
	Resync     time.Duration
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Reasons a leg ended that only this backend gives.
const (
	// ReasonLost: Asterisk went away (restart, network) with the call.
	ReasonLost = "asterisk_lost"
)

// dialArg marks the channels contactd originates, in StasisStart's args.
const dialArg = "contactd-dial"

// restTimeout bounds REST calls made without a caller's context.
const restTimeout = 10 * time.Second

// stableAfter is how long a connection must last for the next attempt
// to start again from the shortest backoff.
const stableAfter = 10 * time.Second

// Backend drives one Asterisk through ARI. It is the call source
// (Serve, Drain, Wait, HangupAll, Close), the ACD's Dialer, and serves
// the prompts Asterisk plays.
type Backend struct {
	opts   Options
	log    *slog.Logger
	cl     *native.Client
	wsURL  string
	auth   string
	media  *mediaStore
	mediaL net.Listener
	srv    *http.Server
	base   string // media URL prefix, ".../media/"
	pres   *presence
	m      *metrics

	callCtx     context.Context // the calls' context; HangupAll ends it
	cancelCalls context.CancelFunc

	mu        sync.Mutex
	chans     map[string]*Channel
	plays     map[string]chan string // playback id -> final state
	recs      map[string]chan string // live recording name -> final state
	connected bool
	lost      *time.Timer
	draining  bool
	active    int // calls whose flow is running
}

var _ callflow.Dialer = (*Backend)(nil)

// New checks the options and binds the media listener. Nothing talks to
// Asterisk until Serve.
func New(opts Options) (*Backend, error) {
	if opts.Flow == nil {
		return nil, errors.New("asterisk: no call flow")
	}
	if opts.App == "" {
		opts.App = "contactd"
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 500 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(30*time.Second, opts.MinBackoff)
	}
	if opts.LostAfter <= 0 {
		opts.LostAfter = 15 * time.Second
	}
	if opts.Resync <= 0 {
		opts.Resync = 30 * time.Second
	}
	if opts.AgentEndpoint == nil {
		opts.AgentEndpoint = func(agent string) string { return "PJSIP/" + agent }
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("backend", "asterisk")
	routeLog15(log)

	base := strings.TrimSuffix(opts.URL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("asterisk: ARI URL %q is not an http(s) URL", opts.URL)
	}
	ws := *u
	ws.Scheme = "ws"
	if u.Scheme == "https" {
		ws.Scheme = "wss"
	}
	ws.Path += "/events"
	ws.RawQuery = url.Values{"app": {opts.App}}.Encode()

	l, err := net.Listen("tcp", opts.MediaListen)
	if err != nil {
		return nil, fmt.Errorf("asterisk: media listen %s: %w", opts.MediaListen, err)
	}
	mediaURL := strings.TrimSuffix(opts.MediaURL, "/")
	if mediaURL == "" {
		mediaURL = "http://" + l.Addr().String()
	}
	callCtx, cancel := context.WithCancel(context.Background())
	b := &Backend{
		opts: opts, log: log, wsURL: ws.String(),
		auth:  "Basic " + base64.StdEncoding.EncodeToString([]byte(opts.Username+":"+opts.Password)),
		media: newMediaStore(time.Now), mediaL: l, base: mediaURL + mediaPath,
		pres:    newPresence(),
		callCtx: callCtx, cancelCalls: cancel,
		chans: map[string]*Channel{}, plays: map[string]chan string{}, recs: map[string]chan string{},
	}
	b.cl = native.New(&native.Options{
		Application: opts.App, URL: base, WebsocketURL: b.wsURL,
		Username: opts.Username, Password: opts.Password,
	})
	mux := http.NewServeMux()
	mux.Handle(mediaPath, b.media)
	b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	b.m = newMetrics(opts.Registerer, b)
	return b, nil
}

// MediaAddr is where the prompts are served.
func (b *Backend) MediaAddr() string { return b.mediaL.Addr().String() }

// Serve connects to Asterisk and keeps connected, handling the calls of
// the application, until ctx ends.
func (b *Backend) Serve(ctx context.Context) error {
	srvErr := make(chan error, 1)
	go func() {
		if err := b.srv.Serve(b.mediaL); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srvErr <- fmt.Errorf("asterisk: serve media: %w", err)
		}
	}()
	loopCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		b.connectLoop(loopCtx)
	}()
	go func() {
		defer wg.Done()
		b.resyncLoop(loopCtx)
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-srvErr:
	}
	stop()
	wg.Wait()
	return err
}

// connectLoop dials the events websocket and reads it, again and again,
// backing off while Asterisk cannot be reached.
func (b *Backend) connectLoop(ctx context.Context) {
	delay := b.opts.MinBackoff
	attempt := 0
	for ctx.Err() == nil {
		ws, err := b.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			attempt++
			wait := jitter(delay)
			b.log.Warn("cannot reach Asterisk ARI; retrying", "url", b.opts.URL, "attempt", attempt, "retry_in", wait.Round(time.Millisecond).String(), "err", err)
			if !sleep(ctx, wait) {
				return
			}
			delay = min(delay*2, b.opts.MaxBackoff)
			continue
		}
		attempt = 0
		began := time.Now()
		b.log.Info("connected to Asterisk ARI", "url", b.opts.URL, "app", b.opts.App)
		b.setConnected(ctx)
		err = b.read(ctx, ws)
		b.setDisconnected()
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("lost the ARI connection; reconnecting", "url", b.opts.URL, "err", err)
		if time.Since(began) >= stableAfter {
			delay = b.opts.MinBackoff
			continue
		}
		// A connection that drops at once (Asterisk starting up, an
		// app clash) is retried with backoff too.
		if !sleep(ctx, jitter(delay)) {
			return
		}
		delay = min(delay*2, b.opts.MaxBackoff)
	}
}

// jitter spreads reconnections of several contactd nodes: d ± 20%.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((mrand.Float64()*0.4-0.2)*float64(d))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (b *Backend) dial(ctx context.Context) (*websocket.Conn, error) {
	cfg, err := websocket.NewConfig(b.wsURL, "http://localhost/")
	if err != nil {
		return nil, fmt.Errorf("events websocket: %w", err)
	}
	cfg.Header.Set("Authorization", b.auth)
	dctx, cancel := context.WithTimeout(ctx, restTimeout)
	defer cancel()
	ws, err := cfg.DialContext(dctx)
	if err != nil {
		return nil, fmt.Errorf("events websocket: %w", err)
	}
	return ws, nil
}

// read hands each event to dispatch until the connection or ctx ends.
func (b *Backend) read(ctx context.Context, ws *websocket.Conn) error {
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()
	defer ws.Close()
	for {
		var data []byte
		if err := websocket.Message.Receive(ws, &data); err != nil {
			return fmt.Errorf("read event: %w", err)
		}
		ev, err := ari.DecodeEvent(data)
		if err != nil {
			b.log.Debug("ARI event not handled", "err", err)
			continue
		}
		b.dispatch(ev)
	}
}

func (b *Backend) setConnected(ctx context.Context) {
	b.mu.Lock()
	b.connected = true
	if b.lost != nil {
		b.lost.Stop()
		b.lost = nil
	}
	b.mu.Unlock()
	b.m.connected.Set(1)
	b.m.connects.Inc()
	go b.reconcile(ctx)
	go b.syncAgents(ctx)
}

// setDisconnected fails what waits for events that will not come, and
// gives Asterisk LostAfter to come back before its calls are given up.
func (b *Backend) setDisconnected() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.connected = false
	b.m.connected.Set(0)
	for _, waits := range []map[string]chan string{b.plays, b.recs} {
		for id, ch := range waits {
			select {
			case ch <- "failed":
			default:
			}
			delete(waits, id)
		}
	}
	b.lost = time.AfterFunc(b.opts.LostAfter, b.giveUp)
}

// giveUp ends every call of an Asterisk that did not come back.
func (b *Backend) giveUp() {
	b.mu.Lock()
	if b.connected {
		b.mu.Unlock()
		return
	}
	chans := make([]*Channel, 0, len(b.chans))
	for id, c := range b.chans {
		chans = append(chans, c)
		delete(b.chans, id)
	}
	b.mu.Unlock()
	if len(chans) > 0 {
		b.log.Error("Asterisk did not come back: giving its calls up", "calls", len(chans), "after", b.opts.LostAfter.String())
	}
	for _, c := range chans {
		c.end(ReasonLost)
	}
	b.pres.all(false, b.report)
}

// reconcile ends the calls whose channels did not survive a disconnection
// (an Asterisk restart loses them all) after the websocket is back.
func (b *Backend) reconcile(ctx context.Context) {
	b.mu.Lock()
	chans := make([]*Channel, 0, len(b.chans))
	for _, c := range b.chans {
		chans = append(chans, c)
	}
	b.mu.Unlock()
	for _, c := range chans {
		err := call(ctx, "check channel "+c.id, func() error {
			_, err := b.cl.Channel().Data(c.key())
			return err
		})
		if status(err) == http.StatusNotFound {
			b.log.Warn("call lost while disconnected from Asterisk", "call_id", c.id)
			b.forget(c)
			c.end(ReasonLost)
		}
	}
}

func (b *Backend) isConnected() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.connected
}

// dispatch routes one event. It never blocks on a call's goroutine.
func (b *Backend) dispatch(ev ari.Event) {
	switch e := ev.(type) {
	case *ari.StasisStart:
		b.stasisStart(e)
	case *ari.StasisEnd:
		if c := b.channel(e.Channel.ID); c != nil {
			b.forget(c)
			c.end(c.farEndReason())
		}
	case *ari.ChannelDestroyed:
		if c := b.channel(e.Channel.ID); c != nil {
			c.setCause(e.Cause)
			b.forget(c)
			c.end(c.farEndReason())
		}
	case *ari.ChannelHangupRequest:
		if c := b.channel(e.Channel.ID); c != nil {
			c.setCause(e.Cause)
		}
	case *ari.ChannelDtmfReceived:
		if c := b.channel(e.Channel.ID); c != nil {
			c.dtmf(e.Digit)
		}
	case *ari.Dial:
		if c := b.channel(e.Peer.ID); c != nil {
			c.setDialStatus(e.Dialstatus)
		}
	case *ari.ChannelStateChange:
		b.log.Debug("channel state", "channel", e.Channel.ID, "state", e.Channel.State)
	case *ari.PlaybackFinished:
		b.finished(b.plays, e.Playback.ID, e.Playback.State)
	case *ari.RecordingFinished:
		b.finished(b.recs, e.Recording.Name, "done")
	case *ari.RecordingFailed:
		b.log.Error("Asterisk recording failed", "asterisk_recording", e.Recording.Name, "cause", e.Recording.Cause)
		b.finished(b.recs, e.Recording.Name, "failed")
	case *ari.EndpointStateChange:
		b.endpointState(e.Endpoint.ID(), e.Endpoint.State)
	case *ari.DeviceStateChanged:
		b.deviceState(e.DeviceState.Name, e.DeviceState.State)
	}
}

// stasisStart is a channel entering the application: a call we placed
// being answered, or a new call for the flow.
func (b *Backend) stasisStart(e *ari.StasisStart) {
	id := e.Channel.ID
	b.mu.Lock()
	if c := b.chans[id]; c != nil {
		b.mu.Unlock()
		c.enteredStasis()
		return
	}
	ours := len(e.Args) > 0 && e.Args[0] == dialArg
	if ours || b.draining || b.callCtx.Err() != nil {
		b.mu.Unlock()
		// A dial of an earlier contactd run answered late, or we are
		// stopping: the dialplan decides what happens next (after
		// Stasis() returns), not a half-started flow.
		go b.decline(id, ours)
		return
	}
	c := b.newChannel(id, false)
	c.caller, c.dialled = callerOf(e.Channel), extenOf(e.Channel)
	c.answered = e.Channel.State == "Up"
	b.chans[id] = c
	b.active++
	b.mu.Unlock()
	b.log.Debug("StasisStart", "call_id", id, "channel", e.Channel.Name, "caller", c.caller, "dialled", c.dialled)
	go b.run(c)
}

func (b *Backend) run(c *Channel) {
	defer func() {
		b.mu.Lock()
		b.active--
		b.mu.Unlock()
	}()
	b.opts.Flow.Handle(b.callCtx, c)
	if !ended(c) {
		ctx, cancel := context.WithTimeout(context.Background(), restTimeout)
		defer cancel()
		if err := c.Hangup(ctx); err != nil {
			b.log.Warn("hang up after the call flow", "call_id", c.id, "err", err)
		}
	}
}

func (b *Backend) decline(id string, hangup bool) {
	ctx, cancel := context.WithTimeout(context.Background(), restTimeout)
	defer cancel()
	key := ari.NewKey(ari.ChannelKey, id)
	if !hangup {
		err := call(ctx, "continue "+id, func() error { return b.cl.Channel().Continue(key, "", "", 0) })
		if err == nil {
			b.log.Info("call not taken: returned to the dialplan", "call_id", id)
			return
		}
		b.log.Warn("return call to the dialplan", "call_id", id, "err", err)
	}
	if err := call(ctx, "hang up "+id, func() error { return b.cl.Channel().Hangup(key, "normal") }); err != nil && !gone(err) {
		b.log.Warn("hang up unexpected channel", "call_id", id, "err", err)
	}
}

func callerOf(ch ari.ChannelData) string {
	if ch.Caller != nil {
		return ch.Caller.Number
	}
	return ""
}

func extenOf(ch ari.ChannelData) string {
	if ch.Dialplan != nil {
		return ch.Dialplan.Exten
	}
	return ""
}

func (b *Backend) channel(id string) *Channel {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.chans[id]
}

func (b *Backend) forget(c *Channel) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.chans[c.id] == c {
		delete(b.chans, c.id)
	}
}

// expect registers a wait for the end of a playback or recording; the
// event may come before the request that starts it has returned.
func (b *Backend) expect(waits map[string]chan string, id string) chan string {
	ch := make(chan string, 1)
	b.mu.Lock()
	waits[id] = ch
	b.mu.Unlock()
	return ch
}

func (b *Backend) unexpect(waits map[string]chan string, id string) {
	b.mu.Lock()
	delete(waits, id)
	b.mu.Unlock()
}

func (b *Backend) finished(waits map[string]chan string, id, state string) {
	b.mu.Lock()
	ch := waits[id]
	delete(waits, id)
	b.mu.Unlock()
	if ch != nil {
		select {
		case ch <- state:
		default:
		}
	}
}

// Drain stops taking new calls: those arriving go back to the dialplan.
func (b *Backend) Drain() {
	b.mu.Lock()
	b.draining = true
	b.mu.Unlock()
}

// ActiveCalls counts the calls whose flow is running.
func (b *Backend) ActiveCalls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.active
}

// Wait returns when no call is running, or with ctx's error.
func (b *Backend) Wait(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for b.ActiveCalls() > 0 {
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// HangupAll ends every call now: their flows hang them up.
func (b *Backend) HangupAll() { b.cancelCalls() }

// Close stops serving media and ends the calls still running.
func (b *Backend) Close() error {
	b.cancelCalls()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := b.srv.Shutdown(ctx); err != nil {
		return b.srv.Close()
	}
	return nil
}

// newID makes an id for something contactd creates in Asterisk.
func newID(kind string) string {
	var r [8]byte
	rand.Read(r[:]) // never fails (crypto/rand panics rather)
	return "contactd-" + kind + "-" + hex.EncodeToString(r[:])
}

// Connected reports whether the events websocket is up.
func (b *Backend) Connected() bool { return b.isConnected() }
