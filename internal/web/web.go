// Package web serves contactd's HTTP API and /metrics.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/contactd/contactd/timeline"
)

// Calls is the call-record store the API reads.
type Calls interface {
	Get(ctx context.Context, id string) (*timeline.Call, error)
	List(ctx context.Context, q timeline.Query) ([]*timeline.Call, error)
}

// Agent is an agent as the API shows it.
type Agent struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Skills     map[string]int `json:"skills"`
	Registered bool           `json:"registered"`
	Contacts   any            `json:"contacts"`
}

// Agents lists agents.
type Agents interface {
	Agents() []Agent
}

// Options configures the API.
type Options struct {
	Calls    Calls
	Agents   Agents
	Gatherer prometheus.Gatherer
	// Ready reports whether contactd takes calls (false while draining).
	Ready  func() bool
	Logger *slog.Logger
}

// Handler returns the API's HTTP handler.
func Handler(opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{opts: opts, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("GET /api/v1/calls", a.listCalls)
	mux.HandleFunc("GET /api/v1/calls/{id}", a.getCall)
	if opts.Agents != nil {
		mux.HandleFunc("GET /api/v1/agents", a.listAgents)
	}
	return mux
}

type api struct {
	opts Options
	log  *slog.Logger
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
	q := timeline.Query{Caller: r.URL.Query().Get("customer"), Limit: 50}
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
	writeJSON(w, http.StatusOK, c)
}

func (a *api) listAgents(w http.ResponseWriter, r *http.Request) {
	agents := a.opts.Agents.Agents()
	writeJSON(w, http.StatusOK, map[string]any{"agents": agents})
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
