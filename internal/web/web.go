// Package web serves contactd's HTTP API and /metrics.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/contactd/contactd/feedback"
	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/queue"
	"github.com/contactd/contactd/timeline"
)

// Calls is the call-record store the API reads.
type Calls interface {
	Get(ctx context.Context, id string) (*timeline.Call, error)
	List(ctx context.Context, q timeline.Query) ([]*timeline.Call, error)
}

// Agent is an agent as the API shows it.
type Agent struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Skills      map[string]int `json:"skills"`
	Registered  bool           `json:"registered"`
	Contacts    any            `json:"contacts"`
	State       string         `json:"state"`
	Reason      string         `json:"reason,omitempty"`
	Since       time.Time      `json:"since,omitzero"`
	Calls       int            `json:"calls"`
	Missed      int            `json:"missed"`
	CurrentCall string         `json:"current_call,omitempty"`
	// Source is "config" or "api": where the agent was defined.
	Source string `json:"source"`
}

// AgentInput is the body of PUT /api/v1/agents/{id}.
type AgentInput struct {
	Name     string         `json:"name"`
	Password string         `json:"password"`
	Skills   map[string]int `json:"skills"`
}

// StateInput is the body of PUT /api/v1/agents/{id}/state.
type StateInput struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// Agents lists agents; the other methods manage them at run time.
type Agents interface {
	Agents() []Agent
	// PutAgent creates or changes an agent and reports whether it was new.
	PutAgent(ctx context.Context, id string, in AgentInput) (Agent, bool, error)
	DeleteAgent(ctx context.Context, id string) error
	SetState(ctx context.Context, id string, in StateInput) (Agent, error)
}

// Queues reports the queues live.
type Queues interface {
	Snapshot() queue.Snapshot
}

// ErrNotFound marks an unknown agent (wrapped) in errors from Agents.
var ErrNotFound = errors.New("not found")

// InvalidError is bad input from the client; its text is shown to them.
type InvalidError struct{ Problem string }

func (e *InvalidError) Error() string { return e.Problem }

// Options configures the API.
type Options struct {
	Calls    Calls
	Agents   Agents
	Queues   Queues
	Gatherer prometheus.Gatherer
	// Live, if set, is served as server-sent events at /api/v1/events.
	Live *live.Hub
	// Timeline, Recordings and Feedback, if set, serve customers'
	// timelines, call audio and survey results.
	Timeline   Timeline
	Recordings Recordings
	Feedback   Feedback
	// Tokens may call the API, each with its role. No token, no access:
	// every endpoint but /healthz and /metrics needs one.
	Tokens []Token
	// Reports and Scores serve GET /api/v1/reports/queues; SLTargets are
	// the queues' service-level thresholds.
	Reports   Reports
	Scores    Scores
	SLTargets map[string]time.Duration
	// AgentPassword, if set, lets agents authenticate with their SIP user
	// and password (HTTP Basic) as RoleAgent.
	AgentPassword func(id string) (string, bool)
	// Open, if set, says which of /healthz and /metrics this handler
	// serves without a token; nil serves both. A server that gives them
	// their own address (OpenHandler) turns them off here.
	Open *OpenEndpoints
	// Pages, if set, registers the browser pages (wallboard, agent desk);
	// authorize tells whether a request carries a valid token.
	Pages func(mux *http.ServeMux, authorize func(*http.Request) bool)
	// Ready reports whether contactd takes calls (false while draining).
	Ready  func() bool
	Logger *slog.Logger
}

// OpenEndpoints are the endpoints served without a token.
type OpenEndpoints struct{ Healthz, Metrics bool }

// Handler returns the API's HTTP handler.
func Handler(opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{opts: opts, log: log, tokens: newTokens(opts.Tokens)}
	mux := http.NewServeMux()
	if opts.Open == nil || opts.Open.Healthz {
		mux.HandleFunc("GET /healthz", a.healthz)
	}
	if opts.Gatherer != nil && (opts.Open == nil || opts.Open.Metrics) {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	sup, adm, agt := RoleSupervisor, RoleAdmin, RoleAgent
	mux.HandleFunc("GET /api/v1/calls", a.require(sup, a.listCalls))
	mux.HandleFunc("GET /api/v1/calls/{id}", a.require(sup, a.getCall))
	if opts.Agents != nil {
		mux.HandleFunc("GET /api/v1/agents", a.require(sup, a.listAgents))
		mux.HandleFunc("GET /api/v1/agents/{id}", a.require(agt, a.getAgent))
		mux.HandleFunc("PUT /api/v1/agents/{id}", a.require(adm, a.putAgent))
		mux.HandleFunc("DELETE /api/v1/agents/{id}", a.require(adm, a.deleteAgent))
		mux.HandleFunc("PUT /api/v1/agents/{id}/state", a.require(agt, a.putState))
	}
	if opts.Queues != nil {
		mux.HandleFunc("GET /api/v1/queues", a.require(agt, a.listQueues))
	}
	if opts.Live != nil {
		mux.HandleFunc("GET /api/v1/events", a.require(agt, a.events))
	}
	if opts.Timeline != nil {
		mux.HandleFunc("GET /api/v1/customers/{id}/timeline", a.require(agt, a.getTimeline))
		mux.HandleFunc("POST /api/v1/customers/{id}/timeline", a.require(agt, a.postTimeline))
	}
	if opts.Recordings != nil {
		mux.HandleFunc("GET /api/v1/recordings/{id}", a.require(sup, a.getRecording))
		mux.HandleFunc("GET /api/v1/recordings/{id}/meta", a.require(sup, a.getRecordingMeta))
		mux.HandleFunc("PUT /api/v1/calls/{id}/recording", a.require(sup, a.putCallRecording))
	}
	if opts.Feedback != nil {
		mux.HandleFunc("GET /api/v1/feedback/summary", a.require(sup, a.feedbackSummary))
	}
	if opts.Reports != nil {
		mux.HandleFunc("GET /api/v1/reports/queues", a.require(sup, a.queueReport))
	}
	if opts.Pages != nil {
		opts.Pages(mux, a.Authorize)
	}
	return mux
}

// OpenHandler serves the endpoints that need no token, /healthz (when
// healthz) and /metrics (when opts has a Gatherer), on an address of
// their own.
func OpenHandler(opts Options, healthz bool) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{opts: opts, log: log, tokens: newTokens(nil)}
	mux := http.NewServeMux()
	if healthz {
		mux.HandleFunc("GET /healthz", a.healthz)
	}
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	return mux
}

type api struct {
	opts   Options
	log    *slog.Logger
	tokens *tokens
}

func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	status := "ok"
	if a.opts.Ready != nil && !a.opts.Ready() {
		status = "draining"
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": status})
}

// maxLimit bounds one page of calls.
const maxLimit = 1000

func (a *api) listCalls(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	q := timeline.Query{Caller: qs.Get("caller"), Customer: qs.Get("customer"), Queue: qs.Get("queue"), Agent: qs.Get("agent"), Limit: 50}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			writeError(w, http.StatusBadRequest, "limit must be a number from 1 to 1000")
			return
		}
		q.Limit = n
	}
	calls, err := a.opts.Calls.List(r.Context(), q)
	if err != nil {
		a.log.Error("list calls", "err", err)
		writeError(w, http.StatusInternalServerError, "could not read calls")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": calls})
}

func (a *api) getCall(w http.ResponseWriter, r *http.Request) {
	c, err := a.opts.Calls.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, timeline.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such call")
		return
	}
	if err != nil {
		a.log.Error("get call", "err", err)
		writeError(w, http.StatusInternalServerError, "could not read call")
		return
	}
	out := callView{Call: c}
	ctx := r.Context()
	if a.opts.Recordings != nil {
		recs, err := a.opts.Recordings.ForCall(ctx, c.ID)
		if err != nil {
			a.log.Error("recordings of call", "call_id", c.ID, "err", err)
		}
		out.Recordings = []recordingView{}
		for _, rec := range recs {
			out.Recordings = append(out.Recordings, viewRecording(rec))
		}
	}
	if a.opts.Feedback != nil {
		ans, err := a.opts.Feedback.ForCall(ctx, c.ID)
		if err != nil {
			a.log.Error("feedback of call", "call_id", c.ID, "err", err)
		}
		out.Feedback = ans
	}
	writeJSON(w, http.StatusOK, out)
}

// callView is one call with its recordings and survey answers.
type callView struct {
	*timeline.Call
	Recordings []recordingView   `json:"recordings,omitempty"`
	Feedback   []feedback.Answer `json:"feedback,omitempty"`
}

func (a *api) listAgents(w http.ResponseWriter, r *http.Request) {
	agents := a.opts.Agents.Agents()
	writeJSON(w, http.StatusOK, map[string]any{"agents": agents})
}

func (a *api) getAgent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !selfOnly(w, r, id) {
		return
	}
	for _, ag := range a.opts.Agents.Agents() {
		if ag.ID == id {
			writeJSON(w, http.StatusOK, ag)
			return
		}
	}
	writeError(w, http.StatusNotFound, "no such agent")
}

// maxBody bounds a request body: agents and states are small.
const maxBody = 64 << 10

// decode reads a JSON body strictly, answering 400 itself on failure.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// agentError answers an error from Agents.
func (a *api) agentError(w http.ResponseWriter, op string, err error) {
	var inv *InvalidError
	switch {
	case errors.As(err, &inv):
		writeError(w, http.StatusBadRequest, inv.Problem)
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "no such agent")
	default:
		a.log.Error(op, "err", err)
		writeError(w, http.StatusInternalServerError, "could not "+op)
	}
}

func (a *api) putAgent(w http.ResponseWriter, r *http.Request) {
	var in AgentInput
	if !decode(w, r, &in) {
		return
	}
	ag, created, err := a.opts.Agents.PutAgent(r.Context(), r.PathValue("id"), in)
	if err != nil {
		a.agentError(w, "save agent", err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, ag)
}

func (a *api) deleteAgent(w http.ResponseWriter, r *http.Request) {
	if err := a.opts.Agents.DeleteAgent(r.Context(), r.PathValue("id")); err != nil {
		a.agentError(w, "delete agent", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) putState(w http.ResponseWriter, r *http.Request) {
	if !selfOnly(w, r, r.PathValue("id")) {
		return
	}
	var in StateInput
	if !decode(w, r, &in) {
		return
	}
	ag, err := a.opts.Agents.SetState(r.Context(), r.PathValue("id"), in)
	if err != nil {
		a.agentError(w, "set agent state", err)
		return
	}
	writeJSON(w, http.StatusOK, ag)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
