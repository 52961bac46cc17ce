package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Role is what a token may do. Each role can do everything the ones
// before it can.
type Role int

const (
	// RoleNone is no valid token.
	RoleNone Role = iota
	// RoleAgent sees queues and customers' timelines, changes only its
	// own state, adds notes in its own name and hears its own events.
	RoleAgent
	// RoleSupervisor sees everything, listens to recordings, changes
	// any agent's state and pauses recordings.
	RoleSupervisor
	// RoleAdmin also creates and deletes agents.
	RoleAdmin
)

// ParseRole reads "agent", "supervisor" or "admin".
func ParseRole(s string) (Role, bool) {
	switch s {
	case "agent":
		return RoleAgent, true
	case "supervisor":
		return RoleSupervisor, true
	case "admin":
		return RoleAdmin, true
	}
	return RoleNone, false
}

func (r Role) String() string {
	switch r {
	case RoleAgent:
		return "agent"
	case RoleSupervisor:
		return "supervisor"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// Token is one API token: its secret, its role and, for an agent, whose.
type Token struct {
	Secret string
	Role   Role
	Agent  string
}

// Principal is who a request comes from.
type Principal struct {
	Role  Role
	Agent string // set for RoleAgent
}

// tokens checks presented secrets against the configured ones in constant
// time: they are compared as SHA-256 digests, so neither the length nor
// the content of a secret leaks through timing.
type tokens struct {
	list []hashedToken
}

type hashedToken struct {
	sum [32]byte
	p   Principal
}

func newTokens(ts []Token) *tokens {
	t := &tokens{}
	for _, tk := range ts {
		if tk.Secret == "" || tk.Role == RoleNone {
			continue
		}
		t.list = append(t.list, hashedToken{sum: sha256.Sum256([]byte(tk.Secret)), p: Principal{Role: tk.Role, Agent: tk.Agent}})
	}
	return t
}

func (t *tokens) lookup(secret string) (Principal, bool) {
	if secret == "" {
		return Principal{}, false
	}
	sum := sha256.Sum256([]byte(secret))
	var found Principal
	ok := 0
	for _, h := range t.list {
		if subtle.ConstantTimeCompare(sum[:], h.sum[:]) == 1 {
			found, ok = h.p, 1
		}
	}
	return found, ok == 1
}

// presented is the token of a request: a bearer token, or (for the event
// stream and pages, which browsers open without headers) the access_token
// or token query parameter.
func presented(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	q := r.URL.Query()
	if tok := q.Get("access_token"); tok != "" {
		return tok
	}
	return q.Get("token")
}

type principalKey struct{}

// principal is who the request comes from, set by require.
func principal(r *http.Request) Principal {
	p, _ := r.Context().Value(principalKey{}).(Principal)
	return p
}

// who authenticates a request: an API token, or an agent's own SIP
// user and password (HTTP Basic), which makes them RoleAgent. The
// latter serves agents added at run time, who have no token in the file.
func (a *api) who(r *http.Request) (Principal, bool) {
	if user, pass, ok := r.BasicAuth(); ok {
		if a.opts.AgentPassword == nil || user == "" {
			return Principal{}, false
		}
		want, known := a.opts.AgentPassword(user)
		// Compare digests whether or not the user exists, so timing tells
		// nothing about which agents there are.
		w, g := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(pass))
		if subtle.ConstantTimeCompare(w[:], g[:]) == 1 && known && want != "" {
			return Principal{Role: RoleAgent, Agent: user}, true
		}
		return Principal{}, false
	}
	return a.tokens.lookup(presented(r))
}

// require lets through requests whose token has at least role min;
// others get 401 (no or unknown token) or 403 (too weak a role).
func (a *api) require(min Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := a.who(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="contactd"`)
			writeError(w, http.StatusUnauthorized, "a valid API token is needed (Authorization: Bearer TOKEN)")
			return
		}
		if p.Role < min {
			writeError(w, http.StatusForbidden, "the "+p.Role.String()+" role may not do this")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// Authorize reports whether a request carries any valid token (for the
// pages, which check the API's tokens too).
func (a *api) Authorize(r *http.Request) bool {
	_, ok := a.who(r)
	return ok
}

// selfOnly answers 403 and reports false when an agent acts on another
// agent; supervisors and admins act on anyone.
func selfOnly(w http.ResponseWriter, r *http.Request, agent string) bool {
	p := principal(r)
	if p.Role == RoleAgent && p.Agent != agent {
		writeError(w, http.StatusForbidden, "an agent may only act as themself")
		return false
	}
	return true
}
