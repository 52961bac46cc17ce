package asterisk_test

import (
	"context"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/demo"
	"github.com/contactd/contactd/internal/prompt"
	"github.com/contactd/contactd/internal/server"
)

// TestSounds: a prompt "sound:NAME" plays Asterisk's own sound by name;
// one Asterisk does not have is skipped like a missing file, and the
// menu goes on.
func TestSounds(t *testing.T) {
	const y = `
backend: asterisk
asterisk: {url: "http://127.0.0.1:8088/ari", username: contactd, password: s3cret}
routes:
  - {number: "*", menu: main}
menus:
  main:
    greeting: [sound:no-such-sound, sound:hello-world, welcome.wav]
    options:
      "1": hangup
`
	fsys := fstest.MapFS{}
	b, err := fs.ReadFile(demo.PromptsFS(), "welcome.wav")
	if err != nil {
		t.Fatal(err)
	}
	fsys["welcome.wav"] = &fstest.MapFile{Data: b}
	// contactd check accepts Asterisk sounds with the asterisk backend.
	cfg, err := config.Parse([]byte(y), "c.yaml", fsys, server.PromptChecker(prompt.NewSynth(prompt.SynthOptions{CacheDir: t.TempDir()})))
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeARI(t)
	flow := callflow.New(callflow.Options{
		Menus:   cfg.IVR,
		Prompts: prompt.NewLibrary(prompt.LibraryOptions{FS: cfg.FS}),
		Records: nopRecords{},
	})
	startBackend(t, f, flow, nil)
	f.waitConnects(1)
	const id = "1712000000.9"
	f.call(id, "+441234567890", "100")
	for i, want := range []string{"sound:no-such-sound", "sound:hello-world"} {
		if got := f.waitReq("POST", "/channels/"+id+"/play/*", i+1).Params["media"]; got != want {
			t.Errorf("play %d: got %v, want %v", i+1, got, want)
		}
	}
	third := f.waitReq("POST", "/channels/"+id+"/play/*", 3)
	if got, want := fetchPCM(t, third.Params["media"]), loadPrompt(t, cfg, "welcome.wav"); !samePCM(got, want) {
		t.Errorf("play 3: got %d samples, want welcome.wav's %d", len(got), len(want))
	}
	f.dtmf(id, '1')
	f.waitReq("DELETE", "/channels/"+id, 1)
}

func TestSoundNeedsAsterisk(t *testing.T) {
	const y = `
routes:
  - {number: "*", menu: main}
menus:
  main:
    greeting: sound:hello-world
    options:
      "1": hangup
`
	_, err := config.Parse([]byte(y), "c.yaml", fstest.MapFS{}, server.PromptChecker(prompt.NewSynth(prompt.SynthOptions{CacheDir: t.TempDir()})))
	if err == nil {
		t.Errorf("got no error, want Asterisk sounds refused in native mode")
	}
}

// TestMediaServer: only the URLs of prompts played are served, to GET
// and HEAD, with caching allowed (a URL's audio never changes).
func TestMediaServer(t *testing.T) {
	f := newFakeARI(t)
	calls := make(legs, 1)
	b := startBackend(t, f, calls, nil)
	f.waitConnects(1)
	f.call("1712000000.3", "+441234567890", "100")
	leg := calls.next(t)
	pcm := make([]int16, 800)
	for i := range pcm {
		pcm[i] = int16(i)
	}
	if err := leg.Play(context.Background(), pcm); err != nil {
		t.Fatal(err)
	}
	media := f.waitReq("POST", "/channels/1712000000.3/play/*", 1).Params["media"]
	if got := fetchPCM(t, media); !samePCM(got, pcm) {
		t.Errorf("served audio: got %d samples, want the %d played", len(got), len(pcm))
	}
	u := strings.TrimPrefix(media, "sound:")
	if !strings.HasPrefix(u, "http://"+b.MediaAddr()+"/media/") {
		t.Errorf("media URL %v: want it under http://%s/media/", u, b.MediaAddr())
	}
	tests := []struct {
		method, url string
		want        int
	}{
		{"HEAD", u, 200},
		{"POST", u, 405},
		{"GET", "http://" + b.MediaAddr() + "/media/00112233445566778899aabbccddeeff.wav", 404},
		{"GET", strings.TrimSuffix(u, ".wav"), 404},
		{"GET", "http://" + b.MediaAddr() + "/", 404},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, tt.url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: got %v, want %v", tt.method, tt.url, resp.StatusCode, tt.want)
		}
		if tt.want == 200 && resp.Header.Get("Cache-Control") == "" {
			t.Errorf("%s %s: got no Cache-Control, want caching allowed", tt.method, tt.url)
		}
	}
	f.farHangup(leg.ID())
	waitDone(t, leg)
}
