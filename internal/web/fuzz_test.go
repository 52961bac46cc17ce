package web_test

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/internal/web"
)

// Any JSON body sent to an endpoint that takes one is answered with a
// success or a 4xx: never a panic, never a 5xx for bad input.
func FuzzAPIBodies(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Carol","password":"carol-secret","skills":{"support":5}}`,
		`{"state":"paused","reason":"lunch"}`,
		`{"kind":"note","summary":"called about a refund","data":{"status":"open"}}`,
		`{"paused":true}`,
		`{"skills":{"support":11}}`, `[]`, `{`, `null`, `{"state":7}`,
	} {
		f.Add(seed)
	}
	h := web.Handler(web.Options{Agents: &stubAgents{}, Timeline: &stubTimeline{}, Queues: stubQueues{}, Live: live.NewHub(nil), Tokens: testTokens})
	paths := []struct{ method, path string }{
		{"PUT", "/api/v1/agents/carol"},
		{"PUT", "/api/v1/agents/alice/state"},
		{"POST", "/api/v1/customers/+441632960001/timeline"},
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			req := httptest.NewRequest(p.method, p.path, bytes.NewBufferString(body))
			req.Header.Set("Authorization", "Bearer admin-token-1234")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s with %q: got %d %s, want 2xx or 4xx", p.method, p.path, body, rec.Code, rec.Body)
			}
		}
	})
}
