package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/store/storetest"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/timeline"
)

func TestCallsAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		db := storetest.Open(t, backend)
		calls := timeline.NewCalls(db)
		t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		for i := range 3 {
			c := &timeline.Call{ID: fmt.Sprintf("call-%d", i), Caller: "1001", Dialled: "100", StartedAt: t0.Add(time.Duration(i) * time.Minute)}
			calls.Start(ctx, c)
			c.EndedAt, c.Outcome = c.StartedAt.Add(time.Minute), "self_service"
			c.Path = []timeline.Step{{At: c.StartedAt, Menu: "main", Kind: "digit", Value: "3"}}
			if err := calls.Finish(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		srv := httptest.NewServer(web.Handler(web.Options{Calls: calls, Tokens: testTokens}))
		defer srv.Close()

		tests := []struct {
			path       string
			wantStatus int
			wantIDs    []string
		}{
			{"/api/v1/calls?limit=2", 200, []string{"call-2", "call-1"}},
			{"/api/v1/calls", 200, []string{"call-2", "call-1", "call-0"}},
			{"/api/v1/calls?limit=0", 400, nil},
			{"/api/v1/calls?limit=x", 400, nil},
			{"/api/v1/calls/call-1", 200, []string{"call-1"}},
			{"/api/v1/calls/none", 404, nil},
			{"/healthz", 200, nil},
		}
		for _, tt := range tests {
			resp, err := authGet(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Calls []timeline.Call `json:"calls"`
				timeline.Call
			}
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s: got status %d, want %d", tt.path, resp.StatusCode, tt.wantStatus)
				continue
			}
			if tt.wantIDs == nil {
				continue
			}
			got := []string{}
			for _, c := range body.Calls {
				got = append(got, c.ID)
			}
			if body.ID != "" {
				got = append(got, body.ID)
				if len(body.Path) != 1 || body.Path[0].Value != "3" {
					t.Errorf("%s: got path %+v, want digit 3", tt.path, body.Path)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantIDs) {
				t.Errorf("%s: got %v, want %v", tt.path, got, tt.wantIDs)
			}
		}
	})
}
