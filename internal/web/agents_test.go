package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/queue"
)

// agents is an in-memory Agents that keeps what the API asked of it.
type agents struct {
	byID map[string]web.Agent
}

func (a *agents) Agents() []web.Agent {
	var out []web.Agent
	for _, ag := range a.byID {
		out = append(out, ag)
	}
	return out
}

func (a *agents) PutAgent(ctx context.Context, id string, in web.AgentInput) (web.Agent, bool, error) {
	if len(in.Password) < 6 {
		return web.Agent{}, false, &web.InvalidError{Problem: "password: need at least 6 characters"}
	}
	_, exists := a.byID[id]
	ag := web.Agent{ID: id, Name: in.Name, Skills: in.Skills, State: "logged_out"}
	a.byID[id] = ag
	return ag, !exists, nil
}

func (a *agents) DeleteAgent(ctx context.Context, id string) error {
	if _, ok := a.byID[id]; !ok {
		return fmt.Errorf("agent %s: %w", id, web.ErrNotFound)
	}
	delete(a.byID, id)
	return nil
}

func (a *agents) SetState(ctx context.Context, id string, in web.StateInput) (web.Agent, error) {
	ag, ok := a.byID[id]
	if !ok {
		return web.Agent{}, fmt.Errorf("agent %s: %w", id, web.ErrNotFound)
	}
	if in.State != "ready" && in.State != "paused" && in.State != "logged_out" {
		return web.Agent{}, &web.InvalidError{Problem: "bad state"}
	}
	ag.State, ag.Reason = in.State, in.Reason
	a.byID[id] = ag
	return ag, nil
}

type snapshot queue.Snapshot

func (s snapshot) Snapshot() queue.Snapshot { return queue.Snapshot(s) }

func TestAgentsAPI(t *testing.T) {
	ag := &agents{byID: map[string]web.Agent{}}
	srv := httptest.NewServer(web.Handler(web.Options{Agents: ag, Tokens: testTokens}))
	defer srv.Close()
	tests := []struct {
		method, path, body string
		wantStatus         int
		wantState          string // of carol afterwards; "" if absent
	}{
		{"PUT", "/api/v1/agents/carol", `{"name":"Carol","password":"secret1","skills":{"support":5}}`, 201, "logged_out"},
		{"PUT", "/api/v1/agents/carol", `{"name":"Carol","password":"secret1","skills":{"support":7}}`, 200, "logged_out"},
		{"PUT", "/api/v1/agents/carol", `{"name":"Carol","password":"x"}`, 400, "logged_out"},
		{"PUT", "/api/v1/agents/carol", `{"name":"Carol","pasword":"secret1"}`, 400, "logged_out"},
		{"PUT", "/api/v1/agents/carol", `not json`, 400, "logged_out"},
		{"PUT", "/api/v1/agents/carol/state", `{"state":"paused","reason":"lunch"}`, 200, "paused"},
		{"PUT", "/api/v1/agents/carol/state", `{"state":"dancing"}`, 400, "paused"},
		{"PUT", "/api/v1/agents/dave/state", `{"state":"ready"}`, 404, "paused"},
		{"GET", "/api/v1/agents/carol", ``, 200, "paused"},
		{"DELETE", "/api/v1/agents/carol", ``, 204, ""},
		{"DELETE", "/api/v1/agents/carol", ``, 404, ""},
		{"GET", "/api/v1/agents/carol", ``, 404, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		req.Header.Set("Authorization", "Bearer admin-token-1234")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("%s %s %s: got status %d (%v), want %d", tt.method, tt.path, tt.body, resp.StatusCode, body, tt.wantStatus)
		}
		if resp.StatusCode >= 400 && resp.StatusCode != 404 && body["error"] == "" {
			t.Errorf("%s %s: got no error message, want one", tt.method, tt.path)
		}
		if got := ag.byID["carol"].State; got != tt.wantState {
			t.Errorf("after %s %s %s: got carol %q, want %q", tt.method, tt.path, tt.body, got, tt.wantState)
		}
	}
	if got := ag.byID["carol"]; got.ID != "" {
		t.Errorf("got %+v after delete, want gone", got)
	}
}

func TestQueuesAPI(t *testing.T) {
	snap := snapshot{Queues: []queue.QueueSnapshot{{
		Name:          "support",
		Waiting:       []queue.WaitingCall{{Call: "c1", Customer: "1001", Priority: 5, Position: 1, Waited: 30 * time.Second, EWT: 90 * time.Second}},
		LongestWait:   30 * time.Second,
		AgentsByState: map[queue.AgentState]int{queue.OnCall: 2},
		Answered:      8, Abandoned: 2, AnsweredInSL: 6, ServiceLevel: 0.6,
		ServiceLevelTarget: 20 * time.Second, ServiceLevelPct: 0.8,
	}}}
	srv := httptest.NewServer(web.Handler(web.Options{Queues: snap, Tokens: testTokens}))
	defer srv.Close()
	resp, err := authGet(srv.URL + "/api/v1/queues")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Queues []struct {
			Name    string `json:"name"`
			Waiting []struct {
				Call     string  `json:"call_id"`
				Position int     `json:"position"`
				EWT      float64 `json:"estimated_wait_seconds"`
			} `json:"waiting"`
			LongestWait  float64        `json:"longest_wait_seconds"`
			Agents       map[string]int `json:"agents"`
			Answered     int            `json:"answered"`
			Abandoned    int            `json:"abandoned"`
			ServiceLevel float64        `json:"service_level"`
		} `json:"queues"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Queues) != 1 {
		t.Fatalf("got %d queues, want 1", len(body.Queues))
	}
	q := body.Queues[0]
	if q.Name != "support" || len(q.Waiting) != 1 || q.Waiting[0].Position != 1 || q.Waiting[0].EWT != 90 || q.LongestWait != 30 {
		t.Errorf("got %+v, want support with c1 at position 1, EWT 90 s, longest wait 30 s", q)
	}
	if q.Agents["on_call"] != 2 || q.Agents["ready"] != 0 || len(q.Agents) != 7 {
		t.Errorf("got agents %v, want every state listed with 2 on_call", q.Agents)
	}
	if q.Answered != 8 || q.Abandoned != 2 || q.ServiceLevel != 0.6 {
		t.Errorf("got answered %d abandoned %d SL %v, want 8, 2, 0.6", q.Answered, q.Abandoned, q.ServiceLevel)
	}
}
