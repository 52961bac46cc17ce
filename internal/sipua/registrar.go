package sipua

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Credentials looks up an agent's SIP password.
type Credentials interface {
	Password(user string) (string, bool)
}

// RegistrarOptions configures REGISTER handling.
type RegistrarOptions struct {
	Realm string // default "contactd"
	// NonceTTL is how long a challenge's nonce is accepted; after it a
	// correct answer gets a fresh challenge with stale=true.
	NonceTTL time.Duration // default 5m
	// Expires bounds: a shorter request gets 423 Interval Too Brief.
	MinExpires, MaxExpires, DefaultExpires time.Duration // defaults 60s, 1h, 1h
	// MaxNonces bounds the outstanding challenges (a scanner can ask for
	// many): the oldest are forgotten first.
	MaxNonces int // default 10000
	// OnChange, if set, hears a user come online (first live binding) and
	// go offline (last binding removed, or expired as Sweep finds). Calls
	// come one at a time in the order of the changes, never under the
	// registrar's lock, but possibly from another goroutine's REGISTER or
	// Sweep than the one that made the change.
	OnChange func(user string, registered bool)
	Now      func() time.Time
	Logger   *slog.Logger
}

// Binding is one registered contact of a user.
type Binding struct {
	Contact   string    `json:"contact"`
	Expires   time.Time `json:"expires"`
	Source    string    `json:"source"`
	Transport string    `json:"transport"`
	callID    string
	cseq      uint32
}

type nonce struct {
	issued time.Time
	nc     int // highest nonce count seen (replay guard with qop=auth)
}

// Registrar answers REGISTER with digest authentication and keeps the
// live contacts of each user. Every challenge has its own nonce.
type Registrar struct {
	opts  RegistrarOptions
	creds Credentials
	log   *slog.Logger

	mu       sync.Mutex
	nonces   map[string]*nonce
	order    []string // nonces in issue order, for eviction
	bindings map[string]map[string]*Binding
	// online holds the users last reported registered, so OnChange
	// alternates true and false whatever order expiry is noticed in.
	online     map[string]bool
	pending    []presence // changes not yet given to OnChange
	delivering bool       // a goroutine is calling OnChange
}

// presence is one change for OnChange.
type presence struct {
	user       string
	registered bool
}

// NewRegistrar returns a registrar checking passwords against creds.
func NewRegistrar(opts RegistrarOptions, creds Credentials) *Registrar {
	if opts.Realm == "" {
		opts.Realm = "contactd"
	}
	if opts.NonceTTL == 0 {
		opts.NonceTTL = 5 * time.Minute
	}
	if opts.MinExpires == 0 {
		opts.MinExpires = 60 * time.Second
	}
	if opts.MaxExpires == 0 {
		opts.MaxExpires = time.Hour
	}
	if opts.DefaultExpires == 0 {
		opts.DefaultExpires = time.Hour
	}
	if opts.MaxNonces == 0 {
		opts.MaxNonces = 10000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registrar{opts: opts, creds: creds, log: log, nonces: map[string]*nonce{}, bindings: map[string]map[string]*Binding{}, online: map[string]bool{}}
}

// Contacts returns the user's live bindings, soonest-expiring last.
func (r *Registrar) Contacts(user string) []Binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now()
	var out []Binding
	for uri, b := range r.bindings[user] {
		if !b.Expires.After(now) {
			delete(r.bindings[user], uri)
			continue
		}
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Expires.After(out[j].Expires) })
	return out
}

// Registered reports whether user has at least one live binding.
func (r *Registrar) Registered(user string) bool { return len(r.Contacts(user)) > 0 }

// Sweep drops expired bindings and reports, through OnChange, the users
// left with none.
func (r *Registrar) Sweep() {
	r.mu.Lock()
	now := r.opts.Now()
	for user, bs := range r.bindings {
		for uri, b := range bs {
			if !b.Expires.After(now) {
				delete(bs, uri)
				r.log.Info("register: contact expired", "user", user, "contact", uri)
			}
		}
		if len(bs) == 0 {
			delete(r.bindings, user)
		}
	}
	// Contacts also drops expired bindings, without reporting: every user
	// still marked online is checked, not only those with bindings left.
	for user := range r.online {
		r.updateLocked(user, now)
	}
	r.mu.Unlock()
	r.deliver()
}

// Run calls Sweep every interval (1s if not positive) until ctx ends.
func (r *Registrar) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.Sweep()
		}
	}
}

// updateLocked queues an OnChange call if user's having a live binding
// differs from what was last reported. The caller holds mu.
func (r *Registrar) updateLocked(user string, now time.Time) {
	live := false
	for _, b := range r.bindings[user] {
		if b.Expires.After(now) {
			live = true
			break
		}
	}
	if live == r.online[user] {
		return
	}
	if live {
		r.online[user] = true
	} else {
		delete(r.online, user)
	}
	if r.opts.OnChange != nil {
		r.pending = append(r.pending, presence{user, live})
	}
}

// deliver calls OnChange for the queued changes, outside mu so it may call
// back into the registrar. One goroutine delivers at a time, keeping the
// order: one finding another at it leaves its changes to that one.
func (r *Registrar) deliver() {
	r.mu.Lock()
	if r.delivering {
		r.mu.Unlock()
		return
	}
	r.delivering = true
	finished := false
	defer func() {
		if !finished {
			// OnChange panicked: let the next change be delivered.
			r.mu.Lock()
			r.delivering = false
			r.mu.Unlock()
		}
	}()
	for {
		if len(r.pending) == 0 {
			// Cleared under the same lock that saw the queue empty, so a
			// change queued after this is delivered by its own goroutine.
			r.pending, r.delivering, finished = nil, false, true
			r.mu.Unlock()
			return
		}
		c := r.pending[0]
		r.pending = r.pending[1:]
		r.mu.Unlock()
		r.opts.OnChange(c.user, c.registered)
		r.mu.Lock()
	}
}

func (r *Registrar) newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	n := hex.EncodeToString(b)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now()
	// Forget expired and, past the cap, the oldest challenges.
	for len(r.order) > 0 {
		old, ok := r.nonces[r.order[0]]
		if ok && now.Sub(old.issued) < 2*r.opts.NonceTTL && len(r.order) < r.opts.MaxNonces {
			break
		}
		delete(r.nonces, r.order[0])
		r.order = r.order[1:]
	}
	r.nonces[n] = &nonce{issued: now}
	r.order = append(r.order, n)
	return n
}

func (r *Registrar) challenge(stale bool) *digest.Challenge {
	return &digest.Challenge{Realm: r.opts.Realm, Nonce: r.newNonce(), Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}
}

// verdict is the outcome of checking a request's credentials.
type verdict int

const (
	authMissing verdict = iota // no or unusable credentials: challenge
	authBad                    // wrong user or password: challenge again
	authStale                  // right password, expired nonce: stale=true
	authOK
)

// check verifies the Authorization header of req.
func (r *Registrar) check(req *sip.Request) (verdict, string) {
	h := req.GetHeader("Authorization")
	if h == nil {
		return authMissing, ""
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Realm != r.opts.Realm {
		return authMissing, ""
	}
	pw, ok := r.creds.Password(cred.Username)
	if !ok {
		return authBad, cred.Username
	}
	chal := &digest.Challenge{Realm: r.opts.Realm, Nonce: cred.Nonce, Algorithm: cred.Algorithm, Opaque: cred.Opaque}
	if cred.QOP != "" {
		chal.QOP = []string{cred.QOP}
	}
	want, err := digest.Digest(chal, digest.Options{
		Method: string(req.Method), URI: cred.URI, Username: cred.Username, Password: pw,
		Cnonce: cred.Cnonce, Count: cred.Nc,
	})
	if err != nil || subtle.ConstantTimeCompare([]byte(want.Response), []byte(cred.Response)) != 1 {
		return authBad, cred.Username
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n, known := r.nonces[cred.Nonce]
	if !known || r.opts.Now().Sub(n.issued) > r.opts.NonceTTL {
		return authStale, cred.Username
	}
	if cred.QOP != "" {
		if cred.Nc <= n.nc {
			return authStale, cred.Username // a replayed answer
		}
		n.nc = cred.Nc
	}
	return authOK, cred.Username
}

// handle answers one REGISTER.
func (r *Registrar) handle(s *Server, req *sip.Request, tx sip.ServerTransaction) {
	v, user := r.check(req)
	switch v {
	case authMissing, authBad, authStale:
		if v == authBad {
			// Unknown users and wrong passwords get the same answer, so a
			// scanner cannot tell which users exist.
			r.log.Warn("register: authentication failed", "user", user, "source", req.Source())
			if s.guard.authFailed(sourceIP(req)) {
				r.log.Warn("register: source banned after repeated authentication failures", "source", req.Source(), "ban", s.guard.opts.BanFor.String())
			}
		}
		s.respond(tx, req, 401, "Unauthorized", sip.NewHeader("WWW-Authenticate", r.challenge(v == authStale).String()))
		return
	}
	to := req.To()
	if to == nil || to.Address.User != user {
		// One agent may not register another's address.
		s.respond(tx, req, 403, "Forbidden")
		return
	}
	now := r.opts.Now()
	defExp := r.opts.DefaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 {
			defExp = time.Duration(n) * time.Second
		}
	}
	contacts := req.GetHeaders("Contact")
	cseq := req.CSeq().SeqNo
	callID := req.CallID().Value()

	if len(contacts) == 1 && strings.TrimSpace(contacts[0].Value()) == "*" {
		if defExp != 0 {
			s.respond(tx, req, 400, "Bad Request - wildcard needs Expires: 0")
			return
		}
		r.mu.Lock()
		delete(r.bindings, user)
		r.updateLocked(user, now)
		r.mu.Unlock()
		r.deliver()
		r.log.Info("register: all contacts removed", "user", user)
		s.respond(tx, req, 200, "OK")
		return
	}
	// Every contact is checked before any is stored: a request is applied
	// whole or not at all (RFC 3261 10.3 step 6).
	type update struct {
		uri string
		exp time.Duration
	}
	var updates []update
	for _, h := range contacts {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		exp := defExp
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				exp = time.Duration(n) * time.Second
			}
		}
		if exp > 0 && exp < r.opts.MinExpires {
			s.respond(tx, req, 423, "Interval Too Brief", sip.NewHeader("Min-Expires", strconv.Itoa(int(r.opts.MinExpires.Seconds()))))
			return
		}
		updates = append(updates, update{c.Address.String(), min(exp, r.opts.MaxExpires)})
	}

	r.mu.Lock()
	for _, u := range updates {
		if r.bindings[user] == nil {
			r.bindings[user] = map[string]*Binding{}
		}
		if old := r.bindings[user][u.uri]; old != nil && old.callID == callID && cseq <= old.cseq {
			continue // out of order
		}
		if u.exp == 0 {
			delete(r.bindings[user], u.uri)
			continue
		}
		r.bindings[user][u.uri] = &Binding{Contact: u.uri, Expires: now.Add(u.exp), Source: req.Source(), Transport: req.Transport(), callID: callID, cseq: cseq}
	}
	var hdrs []sip.Header
	for uri, b := range r.bindings[user] {
		if b.Expires.After(now) {
			hdrs = append(hdrs, sip.NewHeader("Contact", fmt.Sprintf("<%s>;expires=%d", uri, int(b.Expires.Sub(now).Seconds()))))
		}
	}
	if len(r.bindings[user]) == 0 {
		delete(r.bindings, user)
	}
	r.updateLocked(user, now)
	n := len(hdrs)
	r.mu.Unlock()
	// Before the response, so a phone's REGISTER has been heard once it
	// is answered.
	r.deliver()
	r.log.Info("register", "user", user, "contacts", n)
	s.respond(tx, req, 200, "OK", hdrs...)
}
