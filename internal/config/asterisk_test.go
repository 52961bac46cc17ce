package config_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/contactd/contactd/internal/config"
)

func TestAsterisk(t *testing.T) {
	t.Setenv(config.EnvARIPassword, "")
	const ok = "backend: asterisk\nasterisk:\n  url: http://127.0.0.1:8088/ari\n  username: contactd\n  password: s3cret\n"
	tests := []struct {
		name string
		yaml string
		want string // "" for valid, else the whole problem
	}{
		{"native by default", "", ""},
		{"native", "backend: native\n", ""},
		{"asterisk", ok, ""},
		{"unknown backend", "backend: freeswitch\n", `c.yaml:1: backend: unknown backend "freeswitch" (want native or asterisk)`},
		{"no url", "backend: asterisk\nasterisk:\n  username: contactd\n  password: s3cret\n", "c.yaml:3: asterisk.url: need ARI's URL, e.g. http://127.0.0.1:8088/ari"},
		{"bad url", strings.Replace(ok, "http://127.0.0.1:8088/ari", "ws://127.0.0.1:8088/ari", 1), `c.yaml:3: asterisk.url: "ws://127.0.0.1:8088/ari" is not an http(s) URL with a host and no credentials`},
		{"credentials in url", strings.Replace(ok, "http://127.0.0.1", "http://u:s3cret@127.0.0.1", 1), `c.yaml:3: asterisk.url: "http://127.0.0.1:8088/ari" is not an http(s) URL with a host and no credentials`},
		{"no user", strings.Replace(ok, "  username: contactd\n", "", 1), "c.yaml:3: asterisk.username: need the ARI user (ari.conf)"},
		{"no password", strings.Replace(ok, "  password: s3cret\n", "", 1), "c.yaml:3: asterisk.password: need the ARI user's password (or set CONTACTD_ARI_PASSWORD)"},
		{"bad app", ok + "  app: my app\n", `c.yaml:6: asterisk.app: "my app": an app name has no spaces or URL characters`},
		{"media on every address", ok + "  media_listen: 0.0.0.0:8081\n", "c.yaml:6: asterisk.media_url: media_listen listens on every address: set media_url to the one Asterisk reaches contactd at"},
		{"media url given", ok + "  media_listen: 0.0.0.0:8081\n  media_url: http://10.0.0.5:8081\n", ""},
		{"bad media listen", ok + "  media_listen: nowhere\n", `c.yaml:6: asterisk.media_listen: "nowhere" is not host:port`},
		{"bad endpoint", ok + "  endpoint: alice\n", `c.yaml:6: asterisk.endpoint: "alice" is not a dial string like PJSIP/{agent}`},
		{"bad agent endpoint", ok + "  agents: {alice: alice}\n", `c.yaml:6: asterisk.agents.alice: "alice" is not a dial string like PJSIP/alice`},
		{"trunk with tech", ok + "  trunk: PJSIP/trunk\n", `c.yaml:6: asterisk.trunk: "PJSIP/trunk": name a PJSIP endpoint, without PJSIP/`},
	}
	for _, tt := range tests {
		c, err := config.Parse([]byte(tt.yaml+menus), "c.yaml", fstest.MapFS{}, nil)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("%s: got %q, want no password in the problem", tt.name, got)
		}
		if err == nil && tt.yaml == ok {
			a := c.Asterisk
			if a.App != "contactd" || a.MediaListen != "127.0.0.1:8081" || a.AgentEndpoint("alice") != "PJSIP/alice" {
				t.Errorf("%s: got app %q media_listen %q alice %q, want the defaults", tt.name, a.App, a.MediaListen, a.AgentEndpoint("alice"))
			}
		}
	}
}

func TestAsteriskPasswordFromEnv(t *testing.T) {
	t.Setenv(config.EnvARIPassword, "from-env")
	y := "backend: asterisk\nasterisk:\n  url: http://127.0.0.1:8088/ari\n  username: contactd\n" + menus
	if _, err := config.Parse([]byte(y), "c.yaml", fstest.MapFS{}, nil); err != nil {
		t.Errorf("got %v, want the password from %s accepted", err, config.EnvARIPassword)
	}
}

func TestAgentEndpoint(t *testing.T) {
	a := config.Asterisk{Endpoint: "PJSIP/{agent}-desk", Agents: map[string]string{"bob": "SIP/bob"}}
	for agent, want := range map[string]string{"alice": "PJSIP/alice-desk", "bob": "SIP/bob"} {
		if got := a.AgentEndpoint(agent); got != want {
			t.Errorf("%s: got %v, want %v", agent, got, want)
		}
	}
}
