package asterisk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/asterisk"
	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/demo"
	"github.com/contactd/contactd/internal/server"
)

// asteriskDemo is the demo config with backend: asterisk against f.
func asteriskDemo(t *testing.T, f *fakeARI) *config.Config {
	t.Helper()
	y := string(demo.Config) + fmt.Sprintf(`
backend: asterisk
asterisk:
  url: %s
  username: %s
  password: %s
  app: %s
  media_listen: 127.0.0.1:0
`, f.url(), f.user, f.pass, f.app)
	cfg, err := config.Parse([]byte(y), "demo+asterisk", demo.FS(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	return cfg
}

// waitPlayOf waits for a play on channel id of the prompt file and
// returns its index among the channel's plays (from 1).
func waitPlayOf(t *testing.T, f *fakeARI, cfg *config.Config, id, file string, from int) int {
	t.Helper()
	want := loadPrompt(t, cfg, file)
	for n := from; ; n++ {
		req := f.waitReq("POST", "/channels/"+id+"/play/*", n)
		if samePCM(fetchPCM(t, req.Params["media"]), want) {
			return n
		}
	}
}

func getJSON(t *testing.T, srv *server.Server, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+srv.HTTPAddr()+path, nil)
	req.Header.Set("Authorization", "Bearer demo-admin-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: got status %d, want 200", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// TestJourney runs the demo on the fake Asterisk through contactd's own
// wiring (server.New with backend: asterisk): menu, queue, the agent's
// phone dialled and bridged, the bridge recorded by Asterisk and its file
// kept by contactd, the survey after the agent hangs up, and the record,
// recording and feedback in the API.
func TestJourney(t *testing.T) {
	f := newFakeARI(t)
	f.setEndpoint("PJSIP/alice", "online")
	f.setEndpoint("PJSIP/bob", "offline")
	f.setPhone("PJSIP/alice", phone{answerAfter: 100 * time.Millisecond})
	cfg := asteriskDemo(t, f)
	srv, err := server.New(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Close() })
	if srv.SIP() != nil {
		t.Errorf("native SIP is running with backend: asterisk")
	}
	f.waitConnects(1)
	// alice's phone is online: she is logged in and ready.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var list struct {
			Agents []map[string]any `json:"agents"`
		}
		getJSON(t, srv, "/api/v1/agents", &list)
		agents := list.Agents
		if len(agents) > 0 && agents[0]["id"] == "alice" && agents[0]["state"] == "ready" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agents: got %v, want alice ready", agents)
		}
		time.Sleep(20 * time.Millisecond)
	}

	const id = "1712000000.7"
	f.call(id, "+441234567890", "100")
	waitPlayOf(t, f, cfg, id, "welcome.wav", 1)
	f.dtmf(id, '1')

	dial := f.waitReq("POST", "/channels", 1)
	if got, want := dial.Params["endpoint"], "PJSIP/alice"; got != want {
		t.Errorf("dialled %v, want %v", got, want)
	}
	agentID := dial.Params["channelId"]
	rec := f.waitReq("POST", "/bridges/*/record", 1)
	if got, want := rec.Params["name"], asterisk.RecordingName(id); got != want {
		t.Errorf("Asterisk recording name: got %v, want %v", got, want)
	}
	bridge := strings.Split(strings.Trim(rec.Path, "/"), "/")[1]
	adds := f.matching("POST", "/bridges/"+bridge+"/addChannel")
	if len(adds) != 2 || adds[0].Params["channel"] != id || adds[1].Params["channel"] != agentID {
		t.Errorf("bridge %s: got channels %v, want caller and agent", bridge, adds)
	}

	f.farHangup(agentID) // the agent hangs up: the caller is surveyed
	n := waitPlayOf(t, f, cfg, id, "survey-rating.wav", 1)
	f.dtmf(id, '4')
	waitPlayOf(t, f, cfg, id, "survey-nps.wav", n+1)
	f.farHangup(id)

	type callView struct {
		EndedAt  *time.Time `json:"ended_at"`
		Queueing struct {
			Agent     string `json:"agent"`
			Recording string `json:"recording_id"`
			Outcome   string `json:"outcome"`
		} `json:"queueing"`
	}
	var call callView
	deadline = time.Now().Add(5 * time.Second)
	for {
		call = callView{}
		getJSON(t, srv, "/api/v1/calls/"+id, &call)
		if call.EndedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s: record not finished: %+v", id, call)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got, want := call.Queueing.Agent+" "+call.Queueing.Outcome, "alice answered"; got != want {
		t.Errorf("queueing: got %v, want %v", got, want)
	}
	if got, want := call.Queueing.Recording, id; got != want {
		t.Errorf("recording id: got %v, want %v", got, want)
	}

	var meta struct {
		Status  string  `json:"status"`
		Seconds float64 `json:"duration_seconds"`
	}
	getJSON(t, srv, "/api/v1/recordings/"+url.PathEscape(id)+"/meta", &meta)
	// The fake's bridge recording is one second long.
	if meta.Status != "complete" || meta.Seconds < 0.99 || meta.Seconds > 1.01 {
		t.Errorf("recording: got %+v, want complete and 1 s (Asterisk's file)", meta)
	}

	deadline = time.Now().Add(5 * time.Second)
	for {
		var tl struct {
			Events []struct {
				Kind string         `json:"kind"`
				Data map[string]any `json:"data"`
			} `json:"events"`
		}
		getJSON(t, srv, "/api/v1/customers/"+url.PathEscape("+441234567890")+"/timeline", &tl)
		found := false
		for _, ev := range tl.Events {
			if ev.Kind == "feedback" {
				if got, want := fmt.Sprint(ev.Data["score"]), "4"; got != want {
					t.Errorf("feedback score: got %v, want %v", got, want)
				}
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timeline: got %+v, want a feedback event", tl.Events)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
