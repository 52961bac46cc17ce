package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
)

// Backends: who owns SIP and media.
const (
	// BackendNative is contactd's own SIP server and RTP (the default).
	BackendNative = "native"
	// BackendAsterisk drives an existing Asterisk through ARI.
	BackendAsterisk = "asterisk"
)

// EnvARIPassword, when set, overrides asterisk.password, so the secret
// need not be written in the config file.
const EnvARIPassword = "CONTACTD_ARI_PASSWORD"

// Defaults of the asterisk section.
const (
	DefaultARIApp            = "contactd"
	DefaultARIMediaListen    = "127.0.0.1:8081"
	DefaultAgentEndpoint     = "PJSIP/{agent}"
	agentEndpointPlaceholder = "{agent}"
)

// Asterisk says how contactd reaches Asterisk's REST Interface when
// backend is asterisk. Asterisk then owns SIP and media; contactd is the
// Stasis application App and makes the decisions.
type Asterisk struct {
	// URL is ARI's base, e.g. http://127.0.0.1:8088/ari.
	URL      string `yaml:"url"`
	Username string `yaml:"username"`
	// Password of the ari.conf user; CONTACTD_ARI_PASSWORD overrides it.
	Password string `yaml:"password"`
	// App is the Stasis application name the dialplan sends calls to
	// (default contactd).
	App string `yaml:"app"`
	// MediaListen is where contactd serves its prompts to Asterisk as WAV
	// files (default 127.0.0.1:8081); MediaURL is how Asterisk reaches
	// that address (default http://<media_listen>).
	MediaListen string `yaml:"media_listen"`
	MediaURL    string `yaml:"media_url"`
	// Endpoint is the dial string of an agent's phone, {agent} standing
	// for the agent id (default PJSIP/{agent}); Agents overrides it per
	// agent, e.g. alice: PJSIP/alice-desk.
	Endpoint string            `yaml:"endpoint"`
	Agents   map[string]string `yaml:"agents"`
	// Trunk is the PJSIP endpoint through which sip: URIs (callbacks,
	// overflow to an outside team) are dialled; empty disables them.
	Trunk string `yaml:"trunk"`
}

// AgentEndpoint is the Asterisk dial string of an agent's phone.
func (a Asterisk) AgentEndpoint(agent string) string {
	if ep, ok := a.Agents[agent]; ok {
		return ep
	}
	tmpl := a.Endpoint
	if tmpl == "" {
		tmpl = DefaultAgentEndpoint
	}
	return strings.ReplaceAll(tmpl, agentEndpointPlaceholder, agent)
}

// checkAsterisk validates backend and, for the asterisk backend, its
// section, filling in defaults. No problem quotes the password.
func (c *Config) checkAsterisk(add func(line int, field, problem string), line func(path ...string) int) {
	switch c.Backend {
	case "", BackendNative:
		c.Backend = BackendNative
		return
	case BackendAsterisk:
	default:
		add(line("backend"), "backend", fmt.Sprintf("unknown backend %q (want native or asterisk)", c.Backend))
		return
	}
	a := &c.Asterisk
	if a.App == "" {
		a.App = DefaultARIApp
	}
	if a.MediaListen == "" {
		a.MediaListen = DefaultARIMediaListen
	}
	if a.Endpoint == "" {
		a.Endpoint = DefaultAgentEndpoint
	}
	l := func(key string) int { return line("asterisk", key) }
	if a.URL == "" {
		add(l("url"), "asterisk.url", "need ARI's URL, e.g. http://127.0.0.1:8088/ari")
	} else if u, err := url.Parse(a.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		add(l("url"), "asterisk.url", fmt.Sprintf("%q is not an http(s) URL with a host and no credentials", redactURL(a.URL)))
	}
	if a.Username == "" {
		add(l("username"), "asterisk.username", "need the ARI user (ari.conf)")
	}
	if a.Password == "" && os.Getenv(EnvARIPassword) == "" {
		add(l("password"), "asterisk.password", "need the ARI user's password (or set "+EnvARIPassword+")")
	}
	if strings.ContainsAny(a.App, " /?&#%,") {
		add(l("app"), "asterisk.app", fmt.Sprintf("%q: an app name has no spaces or URL characters", a.App))
	}
	host, _, err := net.SplitHostPort(a.MediaListen)
	if err != nil {
		add(l("media_listen"), "asterisk.media_listen", fmt.Sprintf("%q is not host:port", a.MediaListen))
	}
	if a.MediaURL != "" {
		if u, err := url.Parse(a.MediaURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(l("media_url"), "asterisk.media_url", fmt.Sprintf("%q is not an http(s) URL", a.MediaURL))
		}
	} else if err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			add(l("media_listen"), "asterisk.media_url", "media_listen listens on every address: set media_url to the one Asterisk reaches contactd at")
		}
	}
	if !strings.Contains(a.Endpoint, "/") {
		add(l("endpoint"), "asterisk.endpoint", fmt.Sprintf("%q is not a dial string like PJSIP/{agent}", a.Endpoint))
	}
	ids := make([]string, 0, len(a.Agents))
	for id := range a.Agents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !validAgentID(id) {
			add(line("asterisk", "agents", id), "asterisk.agents."+id, "agent id must be letters, digits, '.', '-' or '_'")
		}
		if ep := a.Agents[id]; !strings.Contains(ep, "/") {
			add(line("asterisk", "agents", id), "asterisk.agents."+id, fmt.Sprintf("%q is not a dial string like PJSIP/%s", ep, id))
		}
	}
	if strings.ContainsAny(a.Trunk, "/ ") {
		add(l("trunk"), "asterisk.trunk", fmt.Sprintf("%q: name a PJSIP endpoint, without PJSIP/", a.Trunk))
	}
}

// redactURL drops any user information from a URL for a message.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	return s
}
