package web_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/internal/web"
)

// readEvents reads server-sent events until n data lines have come.
func readEvents(t *testing.T, sc *bufio.Scanner, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n && sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			got = append(got, d)
		}
	}
	return got
}

// testTokens are the tokens the API tests present.
var testTokens = []web.Token{
	{Secret: "admin-token-1234", Role: web.RoleAdmin},
	{Secret: "sup-token-1234", Role: web.RoleSupervisor},
	{Secret: "alice-token-1234", Role: web.RoleAgent, Agent: "alice"},
}

func TestEventStreamFiltersByAgent(t *testing.T) {
	hub := live.NewHub(nil)
	srv := httptest.NewServer(web.Handler(web.Options{Live: hub, Tokens: testTokens}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/events?agent=alice&access_token=sup-token-1234", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type: got %q, want text/event-stream", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	// The stream is subscribed once the headers have come.
	hub.Publish(live.TypeScreenPop, "bob", map[string]string{"call": "for-bob"})
	hub.Publish(live.TypeScreenPop, "alice", map[string]string{"call": "for-alice"})
	hub.Publish(live.TypeFeedbackAlert, "", map[string]int{"score": 1})
	got := readEvents(t, sc, 2)
	if len(got) != 2 || !strings.Contains(got[0], "for-alice") || !strings.Contains(got[1], `"type":"feedback_alert"`) {
		t.Errorf("events for alice: got %q, want her screen-pop then the alert, not bob's", got)
	}
}

func TestEventStreamResumesAfterLastEventID(t *testing.T) {
	hub := live.NewHub(nil)
	for _, c := range []string{"one", "two", "three"} {
		hub.Publish(live.TypeFeedback, "", c)
	}
	srv := httptest.NewServer(web.Handler(web.Options{Live: hub, Tokens: testTokens}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer sup-token-1234")
	req.Header.Set("Last-Event-ID", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := readEvents(t, bufio.NewScanner(resp.Body), 2)
	if len(got) != 2 || !strings.Contains(got[0], `"two"`) || !strings.Contains(got[1], `"three"`) {
		t.Errorf("resumed events: got %q, want two and three", got)
	}
}
