package asterisk_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/contactd/contactd/internal/prompt"
)

// fakeARI is an in-test Asterisk: the subset of ARI's REST interface and
// events websocket that contactd uses, with event sequences as Asterisk
// documents them:
//
//   - a call entering the dialplan's Stasis(app): StasisStart (channel
//     state Ring), then, on answer, ChannelStateChange (Up);
//   - play: 201 and a Playback; PlaybackStarted once the media is fetched
//     (sound:http URLs are fetched, as the media cache does), then
//     PlaybackFinished (state done, or failed when the media cannot be
//     had); a second play on a channel is queued until the first ends;
//     DELETE /playbacks/{id} ends it at once;
//   - DTMF: ChannelDtmfReceived;
//   - hang-up (either side): ChannelHangupRequest, StasisEnd,
//     ChannelDestroyed;
//   - originate: 200 and a channel (Down) the app is subscribed to, Dial
//     events (""/RINGING, then ANSWER, BUSY, NOANSWER or CHANUNAVAIL),
//     ChannelStateChange, and StasisStart with the app args once
//     answered, or ChannelDestroyed with the cause;
//   - bridges: ChannelEnteredBridge, ChannelLeftBridge, bridge recording
//     with RecordingStarted/RecordingFinished and the stored file;
//   - endpoints: EndpointStateChange and DeviceStateChanged for
//     subscribed endpoints.
type fakeARI struct {
	t          *testing.T
	srv        *httptest.Server
	user, pass string
	app        string

	wsMu sync.Mutex // serialises sends

	mu        sync.Mutex
	changed   *sync.Cond // requests or connections changed
	conns     map[*websocket.Conn]chan struct{}
	connects  int
	refuse    bool // reject websocket handshakes (Asterisk down)
	refused   []time.Time
	reqs      []fakeReq
	chans     map[string]*fakeChan
	plays     map[string]*fakePlay
	bridges   map[string]*fakeBridge
	live      map[string]string // live recording name -> bridge id
	stored    map[string][]byte
	endpoints map[string]string // PJSIP/alice -> online|offline
	subs      map[string]bool   // event sources subscribed
	phones    map[string]phone  // how an originated endpoint behaves
	playFor   time.Duration     // how long a playback lasts; 0: until stopped
	sounds    map[string]bool   // Asterisk's own sounds
	seq       int
}

type fakeReq struct {
	Method, Path string
	Params       map[string]string
}

type fakeChan struct {
	id, name, state  string
	caller, exten    string
	inStasis         bool
	args             []string
	bridge           string
	queue            []*fakePlay // playing first
	originated       bool
	answerTimer      *time.Timer
	endpoint         string
	originateTimeout time.Duration
}

type fakePlay struct {
	id, media, channel string
	started            bool
	fetched            int // HTTP status of the media fetch
}

type fakeBridge struct {
	id        string
	channels  []string
	recording string
}

// phone is what the phone behind an endpoint does when called.
type phone struct {
	answerAfter time.Duration // 0: never answers
	busy        bool
}

func newFakeARI(t *testing.T) *fakeARI {
	t.Helper()
	f := &fakeARI{
		t: t, user: "contactd", pass: "s3cret-ari", app: "contactd",
		conns: map[*websocket.Conn]chan struct{}{}, chans: map[string]*fakeChan{}, plays: map[string]*fakePlay{},
		bridges: map[string]*fakeBridge{}, live: map[string]string{}, stored: map[string][]byte{},
		endpoints: map[string]string{}, subs: map[string]bool{}, phones: map[string]phone{},
		playFor: 50 * time.Millisecond, sounds: map[string]bool{"hello-world": true, "digits/1": true},
	}
	f.changed = sync.NewCond(&f.mu)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(f.close)
	return f
}

func (f *fakeARI) url() string { return f.srv.URL + "/ari" }

func (f *fakeARI) close() {
	f.dropConnections()
	f.srv.Close()
}

// dropConnections closes the events websockets, as an Asterisk restart does.
func (f *fakeARI) dropConnections() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ws, done := range f.conns {
		ws.Close()
		close(done)
		delete(f.conns, ws)
	}
}

// restart loses every channel, bridge and playback, as a real restart
// does, and drops the connections; refuse keeps Asterisk "down".
func (f *fakeARI) restart(refuse bool) {
	f.mu.Lock()
	f.chans = map[string]*fakeChan{}
	f.plays = map[string]*fakePlay{}
	f.bridges = map[string]*fakeBridge{}
	f.refuse = refuse
	f.mu.Unlock()
	f.dropConnections()
}

func (f *fakeARI) setRefuse(v bool) {
	f.mu.Lock()
	f.refuse = v
	f.mu.Unlock()
}

func (f *fakeARI) serveHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.user || pass != f.pass {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Authentication required"})
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/ari")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if path == "/events" {
		f.serveEvents(w, r)
		return
	}
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = strings.Join(v, ",")
	}
	if body, _ := io.ReadAll(r.Body); len(bytes.TrimSpace(body)) > 0 {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "invalid JSON body"})
			return
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				params[k] = v
			case map[string]any:
				b, _ := json.Marshal(v)
				params[k] = string(b)
			default:
				params[k] = fmt.Sprint(v)
			}
		}
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, fakeReq{Method: r.Method, Path: path, Params: params})
	f.changed.Broadcast()
	if name, ok := strings.CutPrefix(path, "/recordings/stored/"); ok && r.Method == "GET" && strings.HasSuffix(name, "/file") {
		wav, ok := f.stored[strings.TrimSuffix(name, "/file")]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Recording not found"})
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(wav)
		return
	}
	code, body := f.route(r.Method, strings.Split(strings.Trim(path, "/"), "/"), params)
	f.mu.Unlock()
	if body == nil {
		w.WriteHeader(code)
		return
	}
	writeJSON(w, code, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeARI) serveEvents(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	refuse := f.refuse
	f.mu.Unlock()
	if refuse {
		f.mu.Lock()
		f.refused = append(f.refused, time.Now())
		f.changed.Broadcast()
		f.mu.Unlock()
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Query().Get("app") != f.app {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "app parameter required"})
		return
	}
	websocket.Server{Handler: func(ws *websocket.Conn) {
		done := make(chan struct{})
		f.mu.Lock()
		f.conns[ws] = done
		f.connects++
		f.changed.Broadcast()
		f.mu.Unlock()
		// Read until the client goes; events are sent by the others.
		go func() {
			var msg []byte
			for websocket.Message.Receive(ws, &msg) == nil {
			}
			f.mu.Lock()
			if d, ok := f.conns[ws]; ok {
				close(d)
				delete(f.conns, ws)
			}
			f.mu.Unlock()
		}()
		<-done
	}}.ServeHTTP(w, r)
}

var notFound = map[string]string{"message": "Channel not found"}

// route handles one REST request under f.mu.
func (f *fakeARI) route(method string, p []string, q map[string]string) (int, any) {
	switch {
	case method == "GET" && len(p) == 2 && p[0] == "asterisk" && p[1] == "info":
		return 200, map[string]any{"system": map[string]any{"entity_id": "fa:ke:00:00:00:01", "version": "22.0.0"}}
	case method == "GET" && len(p) == 2 && p[0] == "channels":
		c := f.chans[p[1]]
		if c == nil {
			return 404, notFound
		}
		return 200, f.chanJSON(c)
	case method == "POST" && len(p) == 1 && p[0] == "channels":
		return f.originate(q)
	case method == "POST" && len(p) == 3 && p[0] == "channels" && p[2] == "answer":
		c := f.chans[p[1]]
		if c == nil {
			return 404, notFound
		}
		if !c.inStasis {
			return 409, map[string]string{"message": "Channel not in Stasis application"}
		}
		f.setState(c, "Up")
		return 204, nil
	case method == "POST" && len(p) == 4 && p[0] == "channels" && p[2] == "play":
		c := f.chans[p[1]]
		if c == nil {
			return 404, notFound
		}
		if !c.inStasis {
			return 409, map[string]string{"message": "Channel not in Stasis application"}
		}
		pb := &fakePlay{id: p[3], media: q["media"], channel: c.id}
		f.plays[pb.id] = pb
		c.queue = append(c.queue, pb)
		if len(c.queue) == 1 {
			f.startPlay(pb)
		}
		return 201, f.playJSON(pb, "queued")
	case method == "DELETE" && len(p) == 2 && p[0] == "playbacks":
		pb := f.plays[p[1]]
		if pb == nil {
			return 404, map[string]string{"message": "Playback not found"}
		}
		f.endPlay(pb, "done")
		return 204, nil
	case method == "DELETE" && len(p) == 2 && p[0] == "channels":
		c := f.chans[p[1]]
		if c == nil {
			return 404, notFound
		}
		f.hangup(c, 16, true)
		return 204, nil
	case method == "POST" && len(p) == 3 && p[0] == "channels" && p[2] == "continue":
		c := f.chans[p[1]]
		if c == nil {
			return 404, notFound
		}
		f.leaveStasis(c)
		delete(f.chans, c.id)
		return 204, nil
	case method == "POST" && len(p) == 2 && p[0] == "bridges":
		f.bridges[p[1]] = &fakeBridge{id: p[1]}
		return 200, map[string]any{"id": p[1], "technology": "simple_bridge", "bridge_type": q["type"], "bridge_class": "stasis", "creator": "Stasis", "name": q["name"], "channels": []string{}}
	case method == "POST" && len(p) == 3 && p[0] == "bridges" && p[2] == "addChannel":
		br, c := f.bridges[p[1]], f.chans[q["channel"]]
		if br == nil {
			return 404, map[string]string{"message": "Bridge not found"}
		}
		if c == nil {
			return 400, map[string]string{"message": "Channel not found"}
		}
		br.channels = append(br.channels, c.id)
		c.bridge = br.id
		f.emit("ChannelEnteredBridge", map[string]any{"bridge": f.bridgeJSON(br), "channel": f.chanJSON(c)})
		return 204, nil
	case method == "POST" && len(p) == 3 && p[0] == "bridges" && p[2] == "record":
		br := f.bridges[p[1]]
		if br == nil {
			return 404, map[string]string{"message": "Bridge not found"}
		}
		name := q["name"]
		br.recording = name
		f.live[name] = br.id
		rec := map[string]any{"name": name, "format": q["format"], "state": "recording", "target_uri": "bridge:" + br.id}
		f.emit("RecordingStarted", map[string]any{"recording": rec})
		return 201, rec
	case method == "POST" && len(p) == 4 && p[0] == "recordings" && p[1] == "live" && p[3] == "stop":
		if _, ok := f.live[p[2]]; !ok {
			return 404, map[string]string{"message": "Recording not found"}
		}
		f.finishRecording(p[2])
		return 204, nil
	case method == "DELETE" && len(p) == 2 && p[0] == "bridges":
		br := f.bridges[p[1]]
		if br == nil {
			return 404, map[string]string{"message": "Bridge not found"}
		}
		if br.recording != "" {
			f.finishRecording(br.recording)
		}
		for _, id := range br.channels {
			if c := f.chans[id]; c != nil {
				c.bridge = ""
				f.emit("ChannelLeftBridge", map[string]any{"bridge": f.bridgeJSON(br), "channel": f.chanJSON(c)})
			}
		}
		delete(f.bridges, br.id)
		f.emit("BridgeDestroyed", map[string]any{"bridge": f.bridgeJSON(br)})
		return 204, nil
	case method == "POST" && len(p) == 3 && p[0] == "applications" && p[2] == "subscription":
		for _, s := range strings.Split(q["eventSource"], ",") {
			f.subs[s] = true
		}
		return 200, map[string]any{"name": p[1]}
	case method == "GET" && len(p) == 3 && p[0] == "endpoints":
		ep := p[1] + "/" + p[2]
		st, ok := f.endpoints[ep]
		if !ok {
			return 404, map[string]string{"message": "Endpoint not found"}
		}
		return 200, map[string]any{"technology": p[1], "resource": p[2], "state": st, "channel_ids": []string{}}
	}
	return 404, map[string]string{"message": "Resource not found"}
}

// emit sends an event to the connected clients; under f.mu.
func (f *fakeARI) emit(typ string, fields map[string]any) {
	f.changed.Broadcast()
	fields["type"] = typ
	fields["application"] = f.app
	fields["timestamp"] = time.Now().Format("2006-01-02T15:04:05.000-0700")
	fields["asterisk_id"] = "fa:ke:00:00:00:01"
	b, err := json.Marshal(fields)
	if err != nil {
		f.t.Errorf("fake ARI: event %s: %v", typ, err)
		return
	}
	f.wsMu.Lock()
	defer f.wsMu.Unlock()
	for ws := range f.conns {
		websocket.Message.Send(ws, string(b))
	}
}

func (f *fakeARI) chanJSON(c *fakeChan) map[string]any {
	return map[string]any{
		"id": c.id, "name": c.name, "state": c.state, "accountcode": "", "language": "en",
		"caller":       map[string]string{"name": "", "number": c.caller},
		"connected":    map[string]string{"name": "", "number": ""},
		"dialplan":     map[string]any{"context": "from-external", "exten": c.exten, "priority": 1, "app_name": "Stasis", "app_data": f.app},
		"creationtime": time.Now().Format("2006-01-02T15:04:05.000-0700"),
	}
}

func (f *fakeARI) bridgeJSON(br *fakeBridge) map[string]any {
	return map[string]any{"id": br.id, "technology": "simple_bridge", "bridge_type": "mixing", "bridge_class": "stasis", "creator": "Stasis", "name": "", "channels": br.channels}
}

func (f *fakeARI) playJSON(pb *fakePlay, state string) map[string]any {
	return map[string]any{"id": pb.id, "media_uri": pb.media, "target_uri": "channel:" + pb.channel, "language": "en", "state": state}
}

func (f *fakeARI) setState(c *fakeChan, state string) {
	c.state = state
	f.emit("ChannelStateChange", map[string]any{"channel": f.chanJSON(c)})
}

// startPlay fetches the media as Asterisk's media cache would and plays
// it for playFor.
func (f *fakeARI) startPlay(pb *fakePlay) {
	pb.started = true
	media := pb.media
	go func() {
		code := 200
		if u, ok := strings.CutPrefix(media, "sound:http"); ok {
			code = fetchStatus("http" + u)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if name, ok := strings.CutPrefix(media, "sound:"); ok && !strings.HasPrefix(name, "http") && !f.sounds[name] {
			code = 404
		}
		if f.plays[pb.id] != pb {
			return
		}
		pb.fetched = code
		if code != 200 {
			f.endPlay(pb, "failed")
			return
		}
		f.emit("PlaybackStarted", map[string]any{"playback": f.playJSON(pb, "playing")})
		if f.playFor > 0 {
			time.AfterFunc(f.playFor, func() {
				f.mu.Lock()
				defer f.mu.Unlock()
				if f.plays[pb.id] == pb {
					f.endPlay(pb, "done")
				}
			})
		}
	}()
}

func fetchStatus(u string) int {
	resp, err := http.Get(u)
	if err != nil {
		return 599
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 599
	}
	if resp.StatusCode == 200 {
		if _, err := prompt.DecodeWAV(bytes.NewReader(b)); err != nil {
			return 415
		}
	}
	return resp.StatusCode
}

// endPlay ends a playback and starts the channel's next one.
func (f *fakeARI) endPlay(pb *fakePlay, state string) {
	delete(f.plays, pb.id)
	f.emit("PlaybackFinished", map[string]any{"playback": f.playJSON(pb, state)})
	c := f.chans[pb.channel]
	if c == nil {
		return
	}
	for i, q := range c.queue {
		if q == pb {
			c.queue = append(c.queue[:i], c.queue[i+1:]...)
			break
		}
	}
	if len(c.queue) > 0 && !c.queue[0].started {
		f.startPlay(c.queue[0])
	}
}

func (f *fakeARI) leaveStasis(c *fakeChan) {
	for _, pb := range append([]*fakePlay(nil), c.queue...) {
		delete(f.plays, pb.id)
		f.emit("PlaybackFinished", map[string]any{"playback": f.playJSON(pb, "done")})
	}
	c.queue = nil
	if br := f.bridges[c.bridge]; br != nil {
		for i, id := range br.channels {
			if id == c.id {
				br.channels = append(br.channels[:i], br.channels[i+1:]...)
				break
			}
		}
		f.emit("ChannelLeftBridge", map[string]any{"bridge": f.bridgeJSON(br), "channel": f.chanJSON(c)})
		c.bridge = ""
	}
	if c.inStasis {
		c.inStasis = false
		f.emit("StasisEnd", map[string]any{"channel": f.chanJSON(c)})
	}
}

// hangup ends a channel: ChannelHangupRequest, StasisEnd, ChannelDestroyed.
func (f *fakeARI) hangup(c *fakeChan, cause int, soft bool) {
	if c.answerTimer != nil {
		c.answerTimer.Stop()
	}
	f.emit("ChannelHangupRequest", map[string]any{"channel": f.chanJSON(c), "cause": cause, "soft": soft})
	f.leaveStasis(c)
	delete(f.chans, c.id)
	f.emit("ChannelDestroyed", map[string]any{"channel": f.chanJSON(c), "cause": cause, "cause_txt": causeText(cause)})
}

func causeText(cause int) string {
	switch cause {
	case 16:
		return "Normal Clearing"
	case 17:
		return "User busy"
	case 19:
		return "No answer"
	case 20:
		return "Subscriber absent"
	}
	return "Unknown"
}

// originate places a call to an endpoint; the phone behaves as phones[endpoint] says.
func (f *fakeARI) originate(q map[string]string) (int, any) {
	ep := q["endpoint"]
	if ep == "" {
		return 400, map[string]string{"message": "Endpoint must be specified"}
	}
	id := q["channelId"]
	if id == "" {
		f.seq++
		id = fmt.Sprintf("1700000000.%d", 1000+f.seq)
	}
	tmo, _ := strconv.Atoi(q["timeout"])
	c := &fakeChan{id: id, name: ep + "-0000000" + strconv.Itoa(len(f.chans)), state: "Down", caller: q["callerId"], originated: true, endpoint: ep, originateTimeout: time.Duration(tmo) * time.Second}
	if a := q["appArgs"]; a != "" {
		c.args = strings.Split(a, ",")
	}
	f.chans[id] = c
	dial := func(status string) {
		f.emit("Dial", map[string]any{"peer": f.chanJSON(c), "dialstring": strings.TrimPrefix(ep, "PJSIP/"), "dialstatus": status})
	}
	go func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.chans[id] != c {
			return
		}
		dial("")
		if f.endpoints[ep] != "online" {
			dial("CHANUNAVAIL")
			f.hangup(c, 20, false)
			return
		}
		ph := f.phones[ep]
		if ph.busy {
			dial("BUSY")
			f.hangup(c, 17, false)
			return
		}
		f.setState(c, "Ringing")
		dial("RINGING")
		if ph.answerAfter > 0 {
			c.answerTimer = time.AfterFunc(ph.answerAfter, func() { f.answerOriginated(id) })
		} else if c.originateTimeout > 0 {
			c.answerTimer = time.AfterFunc(c.originateTimeout, func() {
				f.mu.Lock()
				defer f.mu.Unlock()
				if c := f.chans[id]; c != nil {
					dial("NOANSWER")
					f.hangup(c, 19, false)
				}
			})
		}
	}()
	return 200, f.chanJSON(c)
}

func (f *fakeARI) answerOriginated(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.chans[id]
	if c == nil {
		return
	}
	f.emit("Dial", map[string]any{"peer": f.chanJSON(c), "dialstring": strings.TrimPrefix(c.endpoint, "PJSIP/"), "dialstatus": "ANSWER"})
	f.setState(c, "Up")
	c.inStasis = true
	f.emit("StasisStart", map[string]any{"args": c.args, "channel": f.chanJSON(c)})
}

// finishRecording stores a bridge recording's file: one second of a
// steady tone, so a test can tell it from silence.
func (f *fakeARI) finishRecording(name string) {
	brID, ok := f.live[name]
	if !ok {
		return
	}
	delete(f.live, name)
	if br := f.bridges[brID]; br != nil {
		br.recording = ""
	}
	samples := make([]int16, prompt.Rate)
	for i := range samples {
		samples[i] = int16(1000 * ((i/4%2)*2 - 1))
	}
	var buf bytes.Buffer
	prompt.EncodeWAV(&buf, &prompt.Audio{Samples: samples})
	f.stored[name] = buf.Bytes()
	f.emit("RecordingFinished", map[string]any{"recording": map[string]any{"name": name, "format": "wav", "state": "done", "target_uri": "bridge:" + brID, "duration": 1}})
}

// --- what the test does as callers, phones and Asterisk's admin ---

// call is a caller reaching Stasis(app) in the dialplan.
func (f *fakeARI) call(id, caller, exten string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &fakeChan{id: id, name: "PJSIP/trunk-00000001", state: "Ring", caller: caller, exten: exten, inStasis: true}
	f.chans[id] = c
	f.emit("StasisStart", map[string]any{"args": []string{}, "channel": f.chanJSON(c)})
}

func (f *fakeARI) dtmf(id string, digit byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.chans[id]; c != nil {
		f.emit("ChannelDtmfReceived", map[string]any{"channel": f.chanJSON(c), "digit": string(digit), "duration_ms": 100})
	}
}

// farHangup is the caller (or the called phone) hanging up.
func (f *fakeARI) farHangup(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.chans[id]; c != nil {
		f.hangup(c, 16, false)
	}
}

func (f *fakeARI) setEndpoint(ep, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.endpoints[ep] = state
	tech, res, _ := strings.Cut(ep, "/")
	if f.subs["endpoint:"+ep] {
		f.emit("EndpointStateChange", map[string]any{"endpoint": map[string]any{"technology": tech, "resource": res, "state": state, "channel_ids": []string{}}})
	}
	if f.subs["deviceState:"+ep] {
		ds := "NOT_INUSE"
		if state != "online" {
			ds = "UNAVAILABLE"
		}
		f.emit("DeviceStateChanged", map[string]any{"device_state": map[string]any{"name": ep, "state": ds}})
	}
}

func (f *fakeARI) setPhone(ep string, p phone) {
	f.mu.Lock()
	f.phones[ep] = p
	f.mu.Unlock()
}

// waitFor waits until cond (under f.mu) holds.
func (f *fakeARI) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	stop := time.AfterFunc(5*time.Second, func() {
		f.mu.Lock()
		f.changed.Broadcast()
		f.mu.Unlock()
	})
	defer stop.Stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("fake ARI: timed out waiting for %s; requests: %s", what, f.reqList())
		}
		f.changed.Wait()
	}
}

// waitReq waits for the n-th (from 1) request matching method and a path
// pattern (* matches one segment) and returns it.
func (f *fakeARI) waitReq(method, pattern string, n int) fakeReq {
	f.t.Helper()
	var got fakeReq
	f.waitFor(fmt.Sprintf("%s %s #%d", method, pattern, n), func() bool {
		seen := 0
		for _, r := range f.reqs {
			if r.Method == method && match(pattern, r.Path) {
				seen++
				if seen == n {
					got = r
					return true
				}
			}
		}
		return false
	})
	return got
}

// reqs lists the requests matching, under f.mu or not.
func (f *fakeARI) matching(method, pattern string) []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeReq
	for _, r := range f.reqs {
		if r.Method == method && match(pattern, r.Path) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeARI) waitConnects(n int) {
	f.t.Helper()
	f.waitFor(fmt.Sprintf("%d websocket connections", n), func() bool { return f.connects >= n && len(f.conns) > 0 })
}

func (f *fakeARI) reqList() string {
	var b strings.Builder
	for _, r := range f.reqs {
		fmt.Fprintf(&b, "\n  %s %s %v", r.Method, r.Path, r.Params)
	}
	return b.String()
}

func match(pattern, path string) bool {
	pp, p := strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(pp) != len(p) {
		return false
	}
	for i := range pp {
		if pp[i] != "*" && pp[i] != p[i] {
			return false
		}
	}
	return true
}
