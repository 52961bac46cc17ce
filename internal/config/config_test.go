package config_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/contactd/contactd/internal/config"
)

const menus = `
routes:
  - {number: "*", menu: main}
menus:
  main:
    greeting: hi.wav
    options:
      "1": hangup
`

func TestDefaults(t *testing.T) {
	c, err := config.Parse([]byte(menus), "c.yaml", fstest.MapFS{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SIP.Listen != "127.0.0.1:5060" || c.HTTP.Listen != "127.0.0.1:8080" || c.DataDir != "./data" ||
		time.Duration(c.Media.RTPTimeout) != 30*time.Second || time.Duration(c.ShutdownTimeout) != 30*time.Second {
		t.Errorf("got %+v, want the documented defaults", c)
	}
	if got := strings.Join(c.SIP.Transports, ","); got != "udp,tcp" {
		t.Errorf("got transports %s, want udp,tcp", got)
	}
}

func TestAgentProblems(t *testing.T) {
	tests := []struct {
		agents string
		want   string
	}{
		{"  alice: {password: short}\n", "c.yaml:3: agents.alice.password: need a password of at least 6 characters"},
		{"  alice: {password: longenough, skills: {support: 11}}\n", "c.yaml:3: agents.alice.skills.support: level 11 is outside 1-10"},
		{"  \"al ice\": {password: longenough}\n", "c.yaml:3: agents.al ice: agent id must be"},
		{"  alice: {pasword: longenough}\n", "c.yaml:3: pasword: unknown field"},
	}
	for _, tt := range tests {
		_, err := config.Parse([]byte("\nagents:\n"+tt.agents+menus), "c.yaml", fstest.MapFS{}, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("agents %q: got %v, want %q", tt.agents, err, tt.want)
		}
	}
	c, err := config.Parse([]byte("agents:\n  alice: {password: longenough, skills: {support: 5}}\n"+menus), "c.yaml", fstest.MapFS{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pw, ok := c.Password("alice"); !ok || pw != "longenough" {
		t.Errorf("got %q %v, want alice's password", pw, ok)
	}
	if _, ok := c.Password("bob"); ok {
		t.Errorf("got a password for an unknown agent")
	}
}
