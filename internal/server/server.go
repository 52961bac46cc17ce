// Package server wires contactd's parts together from a Config: the
// database, the prompt library, the call flow, native SIP and the HTTP API.
// cmd/contactd and the end-to-end tests both start contactd through it.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/contactd/contactd/feedback"
	"github.com/contactd/contactd/internal/agentdb"
	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/internal/media"
	"github.com/contactd/contactd/internal/prompt"
	"github.com/contactd/contactd/internal/sipua"
	"github.com/contactd/contactd/internal/spool"
	"github.com/contactd/contactd/internal/store"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/ivr"
	"github.com/contactd/contactd/queue"
	"github.com/contactd/contactd/recording"
	"github.com/contactd/contactd/timeline"
)

// PromptChecker returns the check that `contactd check` and start-up run on
// every prompt of a config: files exist and are 8 kHz mono; text prompts
// need espeak-ng.
func PromptChecker(synth *prompt.Synth) func(c *config.Config, p ivr.Prompt) error {
	return func(c *config.Config, p ivr.Prompt) error {
		if c.Backend == config.BackendAsterisk && strings.HasPrefix(p.File, callflow.SoundPrefix) {
			return nil // one of Asterisk's sounds: Asterisk knows
		}
		lib := prompt.NewLibrary(prompt.LibraryOptions{FS: c.FS, Synth: synth})
		return lib.Check(prompt.Ref{File: p.File, Text: p.Text, Voice: p.Voice, Dir: p.Dir})
	}
}

// Server is a running contactd.
type Server struct {
	cfg       *config.Config
	log       *slog.Logger
	db        interface{ Close() error }
	sip       *sipua.Server // nil with the asterisk backend
	calls     callSource    // sip, or the asterisk backend
	http      *http.Server
	httpL     net.Listener
	reg       *prometheus.Registry
	dir       *directory
	registrar *sipua.Registrar
	acd       *callflow.ACD
	recorder  *recording.Recorder
	live      *live.Hub
	spool     *spool.Spool
	open      []openListener // /healthz and /metrics on their own addresses

	wg    sync.WaitGroup
	drain atomic.Bool
	stop  context.CancelFunc
	errc  chan error
}

// New opens everything a Config names and binds the listeners. Nothing is
// served until Start.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, reg: prometheus.NewRegistry(), errc: make(chan error, 2)}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, DSN: cfg.Database.DSN, Logger: log})
	if err != nil {
		return nil, err
	}
	s.db = db
	calls := timeline.NewCalls(db)
	// Call records go through a spool, so a database outage costs none.
	sp, err := spool.New(spool.Options{Path: filepath.Join(cfg.DataDir, "spool", "calls.jsonl"), Store: calls, Logger: log})
	if err != nil {
		db.Close()
		return nil, err
	}
	if sp.Pending() > 0 {
		if err := sp.Flush(ctx); err != nil {
			log.Warn("spool: call records still wait for the database", "records", sp.Pending(), "err", err)
		}
	}
	s.spool = sp
	if n, err := calls.CloseInterrupted(ctx, time.Now()); err != nil {
		db.Close()
		return nil, err
	} else if n > 0 {
		log.Warn("closed calls left open by an earlier stop", "calls", n)
	}

	synth := prompt.NewSynth(prompt.SynthOptions{CacheDir: filepath.Join(cfg.DataDir, "cache", "tts"), Speed: cfg.TTS.Speed, Logger: log})
	lib := prompt.NewLibrary(prompt.LibraryOptions{FS: cfg.FS, Synth: synth, Logger: log})

	dir, err := newDirectory(ctx, cfg, agentdb.New(db))
	if err != nil {
		db.Close()
		return nil, err
	}
	s.dir = dir
	eng, err := queue.New(engineOptions(cfg, dir.queueAgents()))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("queues: %w", err)
	}
	queues, waitPrompts := waitSettings(cfg)
	events := timeline.NewEvents(db)
	recStore := recording.NewStore(db)
	s.recorder = recording.NewRecorder(recording.RecorderOptions{Dir: cfg.RecordingDir(), Store: recStore, Logger: log})
	if n, err := s.recorder.Recover(ctx); err != nil {
		log.Error("recover recordings", "err", err)
	} else if n > 0 {
		log.Warn("repaired recordings left open by an earlier stop", "recordings", n)
	}
	fb := feedback.NewStore(db)
	s.live = live.NewHub(nil)
	link := timelineLink(cfg, s.HTTPAddr)
	s.acd = callflow.NewACD(callflow.ACDOptions{
		Engine:       eng,
		Bridger:      bridgerFor(cfg, log),
		Records:      sp,
		Queues:       queues,
		WaitPrompts:  waitPrompts,
		Prompts:      lib,
		CallbackURI:  callbackURI(cfg),
		Timeline:     events,
		TimelineLink: link,
		Recorder:     s.recorder,
		Feedback:     fb,
		Live:         s.live,
		AlertWebhook: cfg.Feedback.Webhook,
		Registerer:   s.reg,
		Logger:       log,
	})
	dir.acd = s.acd
	flow := callflow.New(callflow.Options{
		Menus:   cfg.IVR,
		Queues:  queues,
		ACD:     s.acd,
		Prompts: lib,
		Records: sp,
		Priorities: callflow.Priorities{
			Rules:    queue.PriorityRules{VIP: cfg.ACD.VIP, RepeatWithin: time.Duration(cfg.ACD.RepeatWithin), RepeatBoost: cfg.ACD.RepeatBoost},
			LastCall: events.LastContact,
		},
		Timeline:       events,
		DefaultCountry: cfg.Customers.DefaultCountry,
		AccountVar:     cfg.Customers.AccountVar,
		Registerer:     s.reg,
		HTTP:           &http.Client{},
		AnswerDelay:    time.Duration(cfg.AnswerDelay),
		Logger:         log,
	})

	s.registrar = sipua.NewRegistrar(sipua.RegistrarOptions{
		Logger:   log,
		OnChange: func(user string, registered bool) { s.acd.SetReachable(user, registered) },
	}, dir)
	dir.reg = s.registrar

	if cfg.Backend == config.BackendAsterisk {
		ab, err := s.newAsterisk(cfg, flow)
		if err != nil {
			db.Close()
			return nil, err
		}
		s.calls = ab
		s.acd.SetDialer(ab)
	} else {
		lo, hi, err := config.ParsePortRange(cfg.Media.RTPPorts)
		if err != nil {
			db.Close()
			return nil, err
		}
		var sipTLS *tls.Config
		tlsListen := cfg.SIP.TLS.Listen
		if cfg.SIP.TLS.Enabled() {
			if sipTLS, err = cfg.SIP.TLS.Load(cfg.Dir()); err != nil {
				db.Close()
				return nil, fmt.Errorf("sip tls: %w", err)
			}
			if tlsListen == "" {
				host, _, _ := net.SplitHostPort(cfg.SIP.Listen)
				tlsListen = net.JoinHostPort(host, "5061")
			}
		}
		s.sip, err = sipua.New(sipua.Options{
			TLS:        sipTLS,
			TLSListen:  tlsListen,
			Listen:     cfg.SIP.Listen,
			Transports: cfg.SIP.Transports,
			Advertise:  cfg.SIP.Advertise,
			UserAgent:  cfg.SIP.UserAgent,
			Media: media.SessionOptions{
				Ports:             media.PortRange{Min: lo, Max: hi},
				InactivityTimeout: time.Duration(cfg.Media.RTPTimeout),
			},
			Registrar:  s.registrar,
			Logger:     log,
			Registerer: s.reg,
			Guard: sipua.GuardOptions{
				InvitePerSecond: cfg.SIP.Limits.InvitePerSecond, RegisterPerSecond: cfg.SIP.Limits.RegisterPerSecond,
				Burst: cfg.SIP.Limits.Burst, BanAfter: cfg.SIP.Limits.BanAfter, BanFor: time.Duration(cfg.SIP.Limits.BanFor),
				Trusted: cfg.SIP.Limits.TrustedPrefixes(),
			},
		}, flow)
		if err != nil {
			db.Close()
			return nil, err
		}
		s.acd.SetDialer(sipDialer{sip: s.sip})
		s.calls = s.sip
	}

	s.httpL, err = net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		s.calls.Close()
		db.Close()
		return nil, fmt.Errorf("http listen %s: %w", cfg.HTTP.Listen, err)
	}
	tokens, err := apiTokens(cfg, log)
	if err != nil {
		s.httpL.Close()
		s.calls.Close()
		db.Close()
		return nil, err
	}
	wopts := web.Options{
		Calls:         calls,
		Agents:        dir,
		Queues:        s.acd,
		Gatherer:      s.reg,
		Live:          s.live,
		Timeline:      events,
		Recordings:    s.recorder,
		Feedback:      fb,
		Tokens:        tokens,
		Reports:       calls,
		Scores:        fb,
		SLTargets:     slTargets(cfg),
		AgentPassword: dir.Password,
		Open:          &web.OpenEndpoints{Healthz: cfg.HTTP.HealthListen == "", Metrics: cfg.HTTP.MetricsListen == ""},
		Pages:         pages(log),
		Ready:         func() bool { return !s.draining() },
		Logger:        log,
	}
	s.http = &http.Server{Handler: web.Handler(wopts), ReadHeaderTimeout: 10 * time.Second}
	if cfg.HTTP.TLS.Enabled() {
		conf, err := cfg.HTTP.TLS.Load(cfg.Dir())
		if err != nil {
			s.httpL.Close()
			s.calls.Close()
			db.Close()
			return nil, fmt.Errorf("http tls: %w", err)
		}
		s.httpL = tls.NewListener(s.httpL, conf)
	}
	if err := s.listenOpen(cfg, wopts); err != nil {
		s.httpL.Close()
		s.calls.Close()
		db.Close()
		return nil, err
	}
	return s, nil
}

// listenOpen binds the addresses that serve /healthz and /metrics without
// a token, when the config gives them their own.
func (s *Server) listenOpen(cfg *config.Config, wopts web.Options) error {
	byAddr := map[string]*web.OpenEndpoints{}
	for _, e := range []struct {
		addr    string
		healthz bool
	}{{cfg.HTTP.HealthListen, true}, {cfg.HTTP.MetricsListen, false}} {
		if e.addr == "" {
			continue
		}
		o := byAddr[e.addr]
		if o == nil {
			o = &web.OpenEndpoints{}
			byAddr[e.addr] = o
		}
		if e.healthz {
			o.Healthz = true
		} else {
			o.Metrics = true
		}
	}
	for addr, o := range byAddr {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, ol := range s.open {
				ol.l.Close()
			}
			return fmt.Errorf("listen %s for /healthz and /metrics: %w", addr, err)
		}
		opts := wopts
		if !o.Metrics {
			opts.Gatherer = nil
		}
		s.open = append(s.open, openListener{l: l, srv: &http.Server{Handler: web.OpenHandler(opts, o.Healthz), ReadHeaderTimeout: 10 * time.Second}})
	}
	return nil
}

type openListener struct {
	l   net.Listener
	srv *http.Server
}

// SIPAddr is where SIP listens.
func (s *Server) SIPAddr() netip.AddrPort {
	if s.sip == nil {
		return netip.AddrPort{}
	}
	return s.sip.Addr()
}

// SIP is the native SIP side, for dialling out.
func (s *Server) SIP() *sipua.Server { return s.sip }

// HTTPAddr is where the API listens.
func (s *Server) HTTPAddr() string { return s.httpL.Addr().String() }

// Start serves SIP and HTTP in the background.
func (s *Server) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.wg.Add(6)
	go func() {
		defer s.wg.Done()
		web.PublishUpdates(ctx, web.UpdateOptions{Hub: s.live, Queues: s.acd, Agents: s.dir})
	}()
	go func() {
		defer s.wg.Done()
		s.acd.Run(ctx)
	}()
	go func() {
		defer s.wg.Done()
		s.recorder.RunRetention(ctx, time.Hour, time.Duration(s.cfg.Recording.Retention))
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.spool.Run(ctx)
	}()
	go func() {
		defer s.wg.Done()
		s.registrar.Run(ctx, time.Second)
	}()
	go func() {
		defer s.wg.Done()
		if err := s.calls.Serve(ctx); err != nil {
			s.errc <- err
		}
	}()
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(s.httpL); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.errc <- fmt.Errorf("http serve: %w", err)
		}
	}()
	for _, o := range s.open {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := o.srv.Serve(o.l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.errc <- fmt.Errorf("http serve %s: %w", o.l.Addr(), err)
			}
		}()
	}
	if s.sip != nil {
		s.log.Info("contactd started", "backend", "native", "sip", s.SIPAddr().String(), "http", s.HTTPAddr(), "data", s.cfg.DataDir)
	} else {
		s.log.Info("contactd started", "backend", s.cfg.Backend, "ari", s.cfg.Asterisk.URL, "http", s.HTTPAddr(), "data", s.cfg.DataDir)
	}
}

// Err reports a listener that failed.
func (s *Server) Err() <-chan error { return s.errc }

func (s *Server) draining() bool { return s.drain.Load() }

// Drain stops taking new calls and waits for the calls in progress to end,
// until ctx is done; then it hangs up whatever is left.
func (s *Server) Drain(ctx context.Context) error {
	s.drain.Store(true)
	s.calls.Drain()
	s.log.Info("draining: new calls are refused", "active_calls", s.calls.ActiveCalls())
	err := s.calls.Wait(ctx)
	if err != nil {
		s.log.Warn("drain timeout: hanging up remaining calls", "active_calls", s.calls.ActiveCalls())
		s.calls.HangupAll()
		// Give the hung-up calls a moment to write their records.
		wctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.calls.Wait(wctx)
	}
	return err
}

// Close stops everything. Calls still up are hung up.
func (s *Server) Close() error {
	s.calls.HangupAll()
	wctx, cancel := context.WithTimeout(context.Background(), time.Second)
	s.calls.Wait(wctx)
	cancel()
	if s.stop != nil {
		s.stop()
	}
	hctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.http.Shutdown(hctx)
	for _, o := range s.open {
		o.srv.Shutdown(hctx)
	}
	s.calls.Close()
	s.wg.Wait()
	if s.spool.Pending() > 0 {
		fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.spool.Flush(fctx); err != nil {
			s.log.Warn("spool: call records left for the next start", "records", s.spool.Pending(), "err", err)
		}
		cancel()
	}
	return s.db.Close()
}
