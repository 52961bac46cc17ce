package config

import (
	"fmt"
	"net"
	"strconv"
)

// APIToken is one token under http.tokens.
type APIToken struct {
	Token string `yaml:"token"`
	// Role is agent, supervisor or admin.
	Role string `yaml:"role"`
	// Agent is the agent an agent token acts as.
	Agent string `yaml:"agent"`
}

// AdminTokenEnv, when set, adds an admin token to those of the file, so
// the secret need not be written into it.
const AdminTokenEnv = "CONTACTD_ADMIN_TOKEN"

// minTokenLen keeps tokens from being guessable.
const minTokenLen = 12

// checkAccess validates the API tokens and the open endpoints' addresses.
func (c *Config) checkAccess(add func(line int, field, problem string), line func(path ...string) int) {
	seen := map[string]int{}
	for i, t := range c.HTTP.Tokens {
		field := fmt.Sprintf("http.tokens[%d]", i)
		l := line("http", "tokens", strconv.Itoa(i))
		switch t.Role {
		case "agent":
			// The agent may be one added through the API later, so
			// it need not be under agents.
			if !validAgentID(t.Agent) {
				add(l, field+".agent", "an agent token names its agent (letters, digits, '.', '-' or '_')")
			}
		case "supervisor", "admin":
			if t.Agent != "" {
				add(l, field+".agent", "only agent tokens name an agent")
			}
		default:
			add(l, field+".role", fmt.Sprintf("unknown role %q (want agent, supervisor or admin)", t.Role))
		}
		if len(t.Token) < minTokenLen {
			add(l, field+".token", fmt.Sprintf("need a token of at least %d characters", minTokenLen))
		}
		if j, dup := seen[t.Token]; dup && t.Token != "" {
			add(l, field+".token", fmt.Sprintf("same token as http.tokens[%d]", j))
		}
		seen[t.Token] = i
	}
	for _, f := range []struct{ key, v string }{{"health_listen", c.HTTP.HealthListen}, {"metrics_listen", c.HTTP.MetricsListen}} {
		if f.v == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(f.v); err != nil {
			add(line("http", f.key), "http."+f.key, fmt.Sprintf("%q is not host:port", f.v))
		}
	}
}
