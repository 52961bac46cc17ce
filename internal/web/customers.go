package web

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/contactd/contactd/feedback"
	"github.com/contactd/contactd/recording"
	"github.com/contactd/contactd/timeline"
)

// Timeline reads and adds customers' events.
type Timeline interface {
	Add(ctx context.Context, ev *timeline.Event) error
	List(ctx context.Context, customer string, page timeline.Page) ([]*timeline.Event, int64, error)
}

// Recordings finds recordings and those in progress.
type Recordings interface {
	Get(ctx context.Context, id string) (*recording.Recording, error)
	ForCall(ctx context.Context, callID string) ([]*recording.Recording, error)
	// File is the recording's file on disk.
	File(rec *recording.Recording) string
	// SetPaused pauses or resumes the recording in progress on a call.
	SetPaused(callID string, paused bool) (*recording.Active, bool)
}

// Feedback reads survey results.
type Feedback interface {
	ForCall(ctx context.Context, callID string) ([]feedback.Answer, error)
	Summaries(ctx context.Context, f feedback.Filter) ([]feedback.Summary, error)
}

// EventInput is the body of POST /api/v1/customers/{id}/timeline: an
// event from another channel (email, chat, order, note).
type EventInput struct {
	Kind    string         `json:"kind"`
	Channel string         `json:"channel"`
	At      time.Time      `json:"at"`
	Agent   string         `json:"agent"`
	Summary string         `json:"summary"`
	Data    map[string]any `json:"data"`
}

func (a *api) getTimeline(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	page := timeline.Page{Limit: 50}
	if s := qs.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, "limit must be a number from 1 to 500")
			return
		}
		page.Limit = n
	}
	if s := qs.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "before must be an event id")
			return
		}
		page.Before = n
	}
	customer := r.PathValue("id")
	evs, next, err := a.opts.Timeline.List(r.Context(), customer, page)
	if errors.Is(err, timeline.ErrNotFound) {
		writeError(w, http.StatusBadRequest, "before is not an event of this customer")
		return
	}
	if err != nil {
		a.log.Error("list timeline", "err", err)
		writeError(w, http.StatusInternalServerError, "could not read the timeline")
		return
	}
	out := map[string]any{"customer": customer, "events": evs}
	if next != 0 {
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) postTimeline(w http.ResponseWriter, r *http.Request) {
	var in EventInput
	if !decode(w, r, &in) {
		return
	}
	ev := &timeline.Event{Customer: r.PathValue("id"), At: in.At, Kind: in.Kind, Channel: in.Channel, Agent: in.Agent, Summary: in.Summary, Data: in.Data}
	if p := principal(r); p.Role == RoleAgent {
		// Agents add notes, in their own name; other channels' events
		// come from the systems behind them.
		if in.Kind != timeline.KindNote {
			writeError(w, http.StatusForbidden, "an agent may only add notes")
			return
		}
		ev.Agent = p.Agent
	}
	if ev.Kind == "" {
		writeError(w, http.StatusBadRequest, "kind is required (email, chat, order, note, ...)")
		return
	}
	if err := a.opts.Timeline.Add(r.Context(), ev); err != nil {
		if errors.Is(err, timeline.ErrInvalidEvent) {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		a.log.Error("add timeline event", "err", err)
		writeError(w, http.StatusInternalServerError, "could not add the event")
		return
	}
	writeJSON(w, http.StatusCreated, ev)
}

// recordingView is a recording's metadata as the API shows it.
type recordingView struct {
	ID        string    `json:"id"`
	CallID    string    `json:"call_id"`
	Queue     string    `json:"queue,omitempty"`
	Agent     string    `json:"agent,omitempty"`
	Customer  string    `json:"customer,omitempty"`
	Status    string    `json:"status"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	Seconds   float64   `json:"duration_seconds"`
	Paused    float64   `json:"paused_seconds"`
	Bytes     int64     `json:"bytes"`
	Audio     string    `json:"audio"`
}

func viewRecording(r *recording.Recording) recordingView {
	return recordingView{
		ID: r.ID, CallID: r.CallID, Queue: r.Queue, Agent: r.Agent, Customer: r.Customer, Status: r.Status,
		StartedAt: r.StartedAt, EndedAt: r.EndedAt, Seconds: r.Duration.Seconds(), Paused: r.PausedFor.Seconds(), Bytes: r.Bytes,
		Audio: "/api/v1/recordings/" + r.ID,
	}
}

// getRecording streams the WAV file; http.ServeContent answers Range
// requests, so players can seek.
func (a *api) getRecording(w http.ResponseWriter, r *http.Request) {
	rec, ok := a.lookupRecording(w, r)
	if !ok {
		return
	}
	if rec.Status == recording.StatusDeleted {
		writeError(w, http.StatusGone, "the recording was deleted by the retention policy")
		return
	}
	if rec.Status == recording.StatusRecording {
		writeError(w, http.StatusConflict, "the call is still being recorded")
		return
	}
	path := a.opts.Recordings.File(rec)
	f, err := os.Open(path)
	if err != nil {
		a.log.Error("open recording", "recording_id", rec.ID, "err", err)
		writeError(w, http.StatusNotFound, "the recording's file is missing")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "could not read the recording")
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", `inline; filename="`+rec.ID+`.wav"`)
	http.ServeContent(w, r, "", st.ModTime(), f)
}

func (a *api) getRecordingMeta(w http.ResponseWriter, r *http.Request) {
	if rec, ok := a.lookupRecording(w, r); ok {
		writeJSON(w, http.StatusOK, viewRecording(rec))
	}
}

// lookupRecording finds the recording the path names, answering the
// client itself when it cannot.
func (a *api) lookupRecording(w http.ResponseWriter, r *http.Request) (*recording.Recording, bool) {
	rec, err := a.opts.Recordings.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, recording.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such recording")
		return nil, false
	}
	if err != nil {
		a.log.Error("get recording", "err", err)
		writeError(w, http.StatusInternalServerError, "could not read the recording")
		return nil, false
	}
	return rec, true
}

// RecordingInput is the body of PUT /api/v1/calls/{id}/recording.
type RecordingInput struct {
	Paused *bool `json:"paused"`
}

// putCallRecording pauses or resumes a call's recording: the paused part
// is silence in the file (for card numbers).
func (a *api) putCallRecording(w http.ResponseWriter, r *http.Request) {
	var in RecordingInput
	if !decode(w, r, &in) {
		return
	}
	if in.Paused == nil {
		writeError(w, http.StatusBadRequest, `want {"paused": true} or {"paused": false}`)
		return
	}
	act, ok := a.opts.Recordings.SetPaused(r.PathValue("id"), *in.Paused)
	if !ok {
		writeError(w, http.StatusNotFound, "the call is not being recorded")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"call_id": act.CallID(), "recording_id": act.ID(), "paused": act.Paused()})
}

func (a *api) feedbackSummary(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	f := feedback.Filter{Queue: qs.Get("queue"), Agent: qs.Get("agent"), Survey: qs.Get("survey"), Question: qs.Get("question")}
	for _, p := range []struct {
		key string
		dst *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := qs.Get(p.key); s != "" {
			t, err := parseTime(s)
			if err != nil {
				writeError(w, http.StatusBadRequest, p.key+" must be RFC 3339 (2026-12-01T00:00:00Z) or a date (2026-12-01)")
				return
			}
			*p.dst = t
		}
	}
	sums, err := a.opts.Feedback.Summaries(r.Context(), f)
	if err != nil {
		a.log.Error("feedback summary", "err", err)
		writeError(w, http.StatusInternalServerError, "could not read feedback")
		return
	}
	if sums == nil {
		sums = []feedback.Summary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"summaries": sums})
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

var _ Recordings = (*recording.Recorder)(nil)
