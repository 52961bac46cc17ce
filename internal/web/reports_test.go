package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/feedback"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/timeline"
)

type stubReports struct{ from, to time.Time }

func (s *stubReports) ReportRows(ctx context.Context, from, to time.Time) ([]timeline.ReportRow, error) {
	s.from, s.to = from, to
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return []timeline.ReportRow{
		{CallID: "a", Queue: "support", Reason: "billing", QueuedAt: t0, Outcome: "answered", Wait: 10 * time.Second, Talk: time.Minute},
		{CallID: "b", Queue: "support", QueuedAt: t0.Add(time.Minute), Outcome: "abandoned", Wait: 40 * time.Second},
	}, nil
}

type stubScores struct{}

func (stubScores) FirstScores(ctx context.Context, since, until time.Time) (map[string]feedback.CallScore, error) {
	return map[string]feedback.CallScore{"a": {Question: "agent", Scale: feedback.Scale1to5, Score: 4}}, nil
}

func TestQueueReport(t *testing.T) {
	rep := &stubReports{}
	h := web.Handler(web.Options{Reports: rep, Scores: stubScores{}, Tokens: testTokens, SLTargets: map[string]time.Duration{"support": 20 * time.Second}})
	get := func(path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	res := get("/api/v1/reports/queues?from=2026-12-01&to=2026-12-02&interval=day", "sup-token-1234")
	var body struct {
		Rows []struct {
			Queue        string         `json:"queue"`
			Offered      int            `json:"offered"`
			ASA          float64        `json:"asa_seconds"`
			ServiceLevel float64        `json:"service_level_pct"`
			AHT          float64        `json:"aht_seconds"`
			CSAT         *float64       `json:"csat_pct"`
			ByReason     map[string]int `json:"by_reason"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(res.Body.Bytes(), &body); err != nil || res.Code != 200 || len(body.Rows) != 1 {
		t.Fatalf("JSON report: got %d %s, want one row", res.Code, res.Body)
	}
	r := body.Rows[0]
	if r.Offered != 2 || r.ASA != 10 || r.ServiceLevel != 50 || r.AHT != 60 || r.CSAT == nil || *r.CSAT != 100 || r.ByReason["billing"] != 1 {
		t.Errorf("row: got %+v, want 2 offered, ASA 10, SL 50, AHT 60, CSAT 100, one billing", r)
	}
	if !rep.from.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !rep.to.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("range asked for: got %v to %v, want the day", rep.from, rep.to)
	}

	res = get("/api/v1/reports/queues?from=2026-12-01&to=2026-12-02&interval=day&format=csv", "sup-token-1234")
	lines, err := csv.NewReader(strings.NewReader(res.Body.String())).ReadAll()
	if err != nil || res.Header().Get("Content-Type") != "text/csv; charset=utf-8" || len(lines) != 2 {
		t.Fatalf("CSV report: got %q %v %q, want a header and one row", res.Header().Get("Content-Type"), err, res.Body)
	}
	if got := strings.Join(lines[0], ","); got != "start,queue,offered,answered,abandoned,asa_seconds,service_level_pct,aht_seconds,csat_pct,rated,reason:none,reason:billing" &&
		got != "start,queue,offered,answered,abandoned,asa_seconds,service_level_pct,aht_seconds,csat_pct,rated,reason:billing,reason:none" {
		t.Errorf("CSV header: got %s", got)
	}
	if got := strings.Join(lines[1][:10], ","); got != "2026-12-01T00:00:00Z,support,2,1,1,10.0,50.0,60.0,100.0,1" {
		t.Errorf("CSV row: got %s", got)
	}

	for _, tt := range []struct {
		path, token string
		want        int
	}{
		{"/api/v1/reports/queues?interval=week", "sup-token-1234", 400},
		{"/api/v1/reports/queues?from=2026-12-02&to=2026-12-01", "sup-token-1234", 400},
		{"/api/v1/reports/queues?tz=Mars/Olympus", "sup-token-1234", 400},
		{"/api/v1/reports/queues", "alice-token-1234", 403},
	} {
		if got := get(tt.path, tt.token).Code; got != tt.want {
			t.Errorf("GET %s as %s: got %d, want %d", tt.path, tt.token, got, tt.want)
		}
	}
}
