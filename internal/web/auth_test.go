package web_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/queue"
	"github.com/contactd/contactd/timeline"
)

// authGet GETs url as the admin.
func authGet(url string) (*http.Response, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer admin-token-1234")
	return http.DefaultClient.Do(req)
}

type stubAgents struct{ set []string }

func (s *stubAgents) Agents() []web.Agent { return []web.Agent{{ID: "alice"}, {ID: "bob"}} }
func (s *stubAgents) PutAgent(ctx context.Context, id string, in web.AgentInput) (web.Agent, bool, error) {
	return web.Agent{ID: id}, true, nil
}
func (s *stubAgents) DeleteAgent(ctx context.Context, id string) error { return nil }
func (s *stubAgents) SetState(ctx context.Context, id string, in web.StateInput) (web.Agent, error) {
	s.set = append(s.set, id+":"+in.State)
	return web.Agent{ID: id, State: in.State}, nil
}

type stubTimeline struct{ added []*timeline.Event }

func (s *stubTimeline) Add(ctx context.Context, ev *timeline.Event) error {
	s.added = append(s.added, ev)
	return nil
}
func (s *stubTimeline) List(ctx context.Context, customer string, p timeline.Page) ([]*timeline.Event, int64, error) {
	return []*timeline.Event{}, 0, nil
}

type stubQueues struct{}

func (stubQueues) Snapshot() queue.Snapshot { return queue.Snapshot{} }

// Each role reaches what it should and nothing more; no token, no access.
func TestRoles(t *testing.T) {
	agents, tl := &stubAgents{}, &stubTimeline{}
	h := web.Handler(web.Options{
		Agents: agents, Queues: stubQueues{}, Timeline: tl, Live: live.NewHub(nil), Tokens: testTokens,
		AgentPassword: func(id string) (string, bool) { return map[string]string{"bob": "bob-secret"}[id], id == "bob" },
	})
	tests := []struct {
		name         string
		method, path string
		auth         string // "Bearer X" or "basic user:pass"
		body         string
		want         int
	}{
		{"no token", "GET", "/api/v1/queues", "", "", 401},
		{"unknown token", "GET", "/api/v1/queues", "Bearer nope-nope-nope", "", 401},
		{"healthz is open", "GET", "/healthz", "", "", 200},
		{"agent sees queues", "GET", "/api/v1/queues", "Bearer alice-token-1234", "", 200},
		{"agent lists agents", "GET", "/api/v1/agents", "Bearer alice-token-1234", "", 403},
		{"agent reads self", "GET", "/api/v1/agents/alice", "Bearer alice-token-1234", "", 200},
		{"agent reads another", "GET", "/api/v1/agents/bob", "Bearer alice-token-1234", "", 403},
		{"agent pauses self", "PUT", "/api/v1/agents/alice/state", "Bearer alice-token-1234", `{"state":"paused","reason":"lunch"}`, 200},
		{"agent pauses another", "PUT", "/api/v1/agents/bob/state", "Bearer alice-token-1234", `{"state":"paused"}`, 403},
		{"agent creates an agent", "PUT", "/api/v1/agents/carol", "Bearer alice-token-1234", `{"name":"C","password":"carol-secret"}`, 403},
		{"agent adds a note", "POST", "/api/v1/customers/+441632960001/timeline", "Bearer alice-token-1234", `{"kind":"note","agent":"bob","summary":"x"}`, 201},
		{"agent adds an order", "POST", "/api/v1/customers/+441632960001/timeline", "Bearer alice-token-1234", `{"kind":"order","summary":"x"}`, 403},
		{"supervisor pauses anyone", "PUT", "/api/v1/agents/bob/state", "Bearer sup-token-1234", `{"state":"paused"}`, 200},
		{"supervisor creates an agent", "PUT", "/api/v1/agents/carol", "Bearer sup-token-1234", `{"name":"C","password":"carol-secret"}`, 403},
		{"admin creates an agent", "PUT", "/api/v1/agents/carol", "Bearer admin-token-1234", `{"name":"C","password":"carol-secret"}`, 201},
		{"agent by SIP password", "PUT", "/api/v1/agents/bob/state", "basic bob:bob-secret", `{"state":"ready"}`, 200},
		{"agent by wrong password", "GET", "/api/v1/queues", "basic bob:guess", "", 401},
		{"unknown agent by password", "GET", "/api/v1/queues", "basic mallory:bob-secret", "", 401},
		{"token in query", "GET", "/api/v1/queues?access_token=sup-token-1234", "", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, bytes.NewBufferString(tt.body))
			if user, ok := strings.CutPrefix(tt.auth, "basic "); ok {
				u, p, _ := strings.Cut(user, ":")
				req.SetBasicAuth(u, p)
			} else if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("%s %s: got %d %s, want %d", tt.method, tt.path, rec.Code, rec.Body, tt.want)
			}
		})
	}
	if got := strings.Join(agents.set, ","); got != "alice:paused,bob:paused,bob:ready" {
		t.Errorf("state changes that went through: got %s, want alice:paused,bob:paused,bob:ready", got)
	}
	if len(tl.added) != 1 || tl.added[0].Agent != "alice" {
		t.Errorf("notes: got %+v, want one, in alice's name whatever the body said", tl.added)
	}
}

// An agent's event stream carries only their own screen-pops, whatever
// agent the query names.
func TestAgentHearsOnlyOwnEvents(t *testing.T) {
	hub := live.NewHub(nil)
	srv := httptest.NewServer(web.Handler(web.Options{Live: hub, Tokens: testTokens}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/events?agent=bob&access_token=alice-token-1234", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	hub.Publish(live.TypeScreenPop, "bob", "for-bob")
	hub.Publish(live.TypeScreenPop, "alice", "for-alice")
	sc := bufio.NewScanner(resp.Body)
	got := readEvents(t, sc, 1)
	if len(got) != 1 || !strings.Contains(got[0], "for-alice") {
		t.Errorf("alice's stream: got %q, want only her screen-pop", got)
	}
}
