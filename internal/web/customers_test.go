package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/store/storetest"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/recording"
	"github.com/contactd/contactd/timeline"
)

func do(t *testing.T, method, url string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer admin-token-1234")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// Events from other channels go in by POST and come back, newest first,
// page by page; bad events get 400 and change nothing.
func TestTimelineAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		db := storetest.Open(t, backend)
		srv := httptest.NewServer(web.Handler(web.Options{Timeline: timeline.NewEvents(db), Tokens: testTokens}))
		defer srv.Close()
		base := srv.URL + "/api/v1/customers/+441632960001/timeline"
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		for i, kind := range []string{"email", "order", "note"} {
			status, ev := do(t, "POST", base, map[string]any{"kind": kind, "at": t0.Add(time.Duration(i) * time.Minute), "summary": kind + " one", "data": map[string]any{"n": i}})
			if status != http.StatusCreated || ev["kind"] != kind || ev["id"] == nil {
				t.Fatalf("POST %s: got %d %v, want 201 with the event", kind, status, ev)
			}
		}
		tests := []struct {
			name string
			body any
		}{
			{"no kind", map[string]any{"summary": "x"}},
			{"unknown field", map[string]any{"kind": "note", "colour": "red"}},
			{"bad kind", map[string]any{"kind": "Not A Kind!"}},
		}
		for _, tt := range tests {
			if status, _ := do(t, "POST", base, tt.body); status != http.StatusBadRequest {
				t.Errorf("POST %s: got %d, want 400", tt.name, status)
			}
		}

		var kinds []any
		url := base + "?limit=2"
		for range 3 {
			status, page := do(t, "GET", url, nil)
			if status != http.StatusOK {
				t.Fatalf("GET %s: got %d", url, status)
			}
			for _, e := range page["events"].([]any) {
				kinds = append(kinds, e.(map[string]any)["kind"])
			}
			next, ok := page["next"].(float64)
			if !ok {
				break
			}
			url = base + "?limit=2&before=" + json.Number(jsonInt(next)).String()
		}
		if len(kinds) != 3 || kinds[0] != "note" || kinds[1] != "order" || kinds[2] != "email" {
			t.Errorf("timeline: got %v, want note, order, email (newest first)", kinds)
		}
		if status, _ := do(t, "GET", base+"?limit=0", nil); status != http.StatusBadRequest {
			t.Errorf("limit=0: got %d, want 400", status)
		}
	})
}

func jsonInt(f float64) string {
	b, _ := json.Marshal(int64(f))
	return string(b)
}

// A recording is served as audio/wav with Range; one still being written
// is 409, one deleted by retention 410, an unknown one 404.
func TestRecordingsAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		dir := t.TempDir()
		db := storetest.Open(t, backend)
		st := recording.NewStore(db)
		rec := recording.NewRecorder(recording.RecorderOptions{Dir: dir + "/rec", Store: st})
		done, err := rec.Start(ctx, recording.Meta{CallID: "c1", Queue: "support", Agent: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, 160)
		for i := range pcm {
			pcm[i] = 1000
		}
		for range 50 {
			done.Frame(0, pcm)
			done.Frame(1, pcm)
		}
		if _, err := done.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		live, err := rec.Start(ctx, recording.Meta{CallID: "c2"})
		if err != nil {
			t.Fatal(err)
		}
		defer live.Stop(ctx)
		srv := httptest.NewServer(web.Handler(web.Options{Recordings: rec, Tokens: testTokens}))
		defer srv.Close()

		resp, err := authGet(srv.URL + "/api/v1/recordings/c1")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := 44 + 50*160*4; resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/wav" || len(b) != want {
			t.Errorf("GET c1: got %d %q %d bytes, want 200 audio/wav %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(b), want)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/recordings/c1", nil)
		req.Header.Set("Authorization", "Bearer admin-token-1234")
		req.Header.Set("Range", "bytes=44-47")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(b, []byte{0xe8, 0x03, 0xe8, 0x03}) {
			t.Errorf("range: got %d %x, want 206 and the first stereo sample (1000, 1000)", resp.StatusCode, b)
		}
		for _, tt := range []struct {
			id   string
			want int
		}{{"c2", http.StatusConflict}, {"none", http.StatusNotFound}} {
			if status, _ := do(t, "GET", srv.URL+"/api/v1/recordings/"+tt.id, nil); status != tt.want {
				t.Errorf("GET %s: got %d, want %d", tt.id, status, tt.want)
			}
		}
		if status, v := do(t, "PUT", srv.URL+"/api/v1/calls/c2/recording", map[string]any{"paused": true}); status != 200 || v["paused"] != true {
			t.Errorf("pause c2: got %d %v, want 200 paused", status, v)
		}
		if !live.Paused() {
			t.Errorf("c2 after pause: got recording, want paused")
		}
		if status, _ := do(t, "PUT", srv.URL+"/api/v1/calls/c1/recording", map[string]any{"paused": true}); status != http.StatusNotFound {
			t.Errorf("pause a finished call: got %d, want 404", status)
		}
		if status, _ := do(t, "PUT", srv.URL+"/api/v1/calls/c2/recording", map[string]any{}); status != http.StatusBadRequest {
			t.Errorf("pause without paused: got %d, want 400", status)
		}
		if n, err := rec.Sweep(ctx, time.Now().Add(48*time.Hour), 24*time.Hour); err != nil || n != 1 {
			t.Fatalf("sweep: got %d %v, want 1 deleted", n, err)
		}
		if status, _ := do(t, "GET", srv.URL+"/api/v1/recordings/c1", nil); status != http.StatusGone {
			t.Errorf("GET after retention: got %d, want 410", status)
		}
	})
}
