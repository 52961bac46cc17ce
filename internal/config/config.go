// Package config reads contactd's YAML configuration file. The ivr keys
// (languages, routes, menus) are decoded by package ivr; the rest is here.
// Every problem is reported as "file:line: field: problem".
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/contactd/contactd/ivr"
)

// Config is a whole, decoded configuration.
type Config struct {
	// Path is the file it came from ("embedded demo" for the demo).
	Path string `yaml:"-"`
	// FS holds the files the config refers to (prompts), rooted at the
	// config file's directory.
	FS fs.FS `yaml:"-"`

	SIP             SIP      `yaml:"sip"`
	HTTP            HTTP     `yaml:"http"`
	DataDir         string   `yaml:"data_dir"`
	Media           Media    `yaml:"media"`
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// AnswerDelay lets a call ring this long before it is answered.
	AnswerDelay Duration `yaml:"answer_delay"`
	TTS         TTS      `yaml:"tts"`
	// PromptsDir is where prompt files are, relative to the config file.
	PromptsDir string `yaml:"prompts_dir"`
	// Queues by name.
	Queues map[string]Queue `yaml:"queues"`
	// Agents by id (their SIP user name). Agents added through the API
	// are kept in the database and override these.
	Agents map[string]Agent `yaml:"agents"`
	// ACD holds routing settings shared by all queues.
	ACD ACD `yaml:"acd"`
	// QueuePrompts are what waiting callers hear, shared by all queues.
	QueuePrompts QueuePrompts `yaml:"queue_prompts"`
	// Callbacks says how customers who asked to be called back are
	// reached.
	Callbacks Callbacks `yaml:"callbacks"`
	// Recording says where call audio goes and how long it is kept.
	Recording Recording `yaml:"recording"`
	// Customers says how callers are identified in the timeline.
	Customers Customers `yaml:"customers"`
	// Surveys by name; a queue names the one its callers hear.
	Surveys  map[string]Survey `yaml:"surveys"`
	Feedback Feedback          `yaml:"feedback"`
	// Database is where records are kept (default: SQLite under data_dir).
	Database Database `yaml:"database"`
	// Backend is native (contactd's own SIP, the default) or asterisk.
	Backend  string   `yaml:"backend"`
	Asterisk Asterisk `yaml:"asterisk"`

	IVR *ivr.Config `yaml:"-"`

	// The ivr package decodes these itself; listed so strict decoding of
	// the rest accepts them.
	Languages yaml.Node `yaml:"languages"`
	Routes    yaml.Node `yaml:"routes"`
	Menus     yaml.Node `yaml:"menus"`
}

// SIP is the native SIP server's listening side.
type SIP struct {
	Listen     string   `yaml:"listen"`
	Transports []string `yaml:"transports"`
	// Advertise is the IP put in Contact and SDP when Listen is 0.0.0.0.
	Advertise string `yaml:"advertise"`
	UserAgent string `yaml:"user_agent"`
	// Limits guard against floods and password guessing, per source
	// address.
	Limits SIPLimits `yaml:"limits"`
	// TLS also takes SIP over TLS (sips:) when a certificate is given.
	TLS TLS `yaml:"tls"`
}

// HTTP is the API's listening side.
type HTTP struct {
	Listen string `yaml:"listen"`
	// PublicURL is how agents' browsers reach the API (links in
	// screen-pops); default http://<listen>.
	PublicURL string `yaml:"public_url"`
	// Tokens may use the API and pages, each with a role.
	Tokens []APIToken `yaml:"tokens"`
	// HealthListen and MetricsListen, if set, serve /healthz and /metrics
	// without a token on addresses of their own (and not on Listen);
	// unset, Listen serves them, also without a token.
	HealthListen  string `yaml:"health_listen"`
	MetricsListen string `yaml:"metrics_listen"`
	// TLS serves HTTPS on Listen when a certificate is given.
	TLS TLS `yaml:"tls"`
}

// Media configures RTP.
type Media struct {
	// RTPPorts is a range "MIN-MAX" for RTP sockets.
	RTPPorts string `yaml:"rtp_ports"`
	// RTPTimeout hangs up a call whose caller sent no RTP for this long.
	RTPTimeout Duration `yaml:"rtp_timeout"`
}

// TTS configures text prompts (espeak-ng).
type TTS struct {
	Speed int `yaml:"speed"`
}

// Queue is one queue's settings.
type Queue struct {
	// Unavailable is the prompt file played when no agent can take a call
	// (no agents logged in, or the maximum wait passed).
	Unavailable string `yaml:"unavailable"`
	// Skills an agent needs, with minimum levels; default {<queue name>: 1}.
	Skills   map[string]int `yaml:"skills"`
	Strategy string         `yaml:"strategy"`
	// RingTimeout is how long one agent's phone rings before the call is
	// offered to the next agent.
	RingTimeout Duration `yaml:"ring_timeout"`
	WrapUp      Duration `yaml:"wrap_up"`
	// ServiceLevel: the target is ServiceLevelPct % answered within
	// ServiceLevel.
	ServiceLevel    Duration `yaml:"service_level"`
	ServiceLevelPct float64  `yaml:"service_level_pct"`
	// MaxWait ends the wait (0: no limit): the call moves to
	// MaxWaitQueue, or hears Unavailable and is hung up.
	MaxWait      Duration `yaml:"max_wait"`
	MaxWaitQueue string   `yaml:"max_wait_queue"`
	// JoinEmpty lets callers queue while no agent is logged in (default
	// true); LeaveEmpty sends them away when the last one logs out.
	JoinEmpty  *bool      `yaml:"join_empty"`
	LeaveEmpty bool       `yaml:"leave_empty"`
	Overflow   []Overflow `yaml:"overflow"`
	// Music is played while waiting (a prompt file, looped).
	Music string `yaml:"music"`
	// AnnounceEvery repeats the caller's position and estimated wait;
	// 0 turns announcements off.
	AnnounceEvery Duration `yaml:"announce_every"`
	// CallbackKey asks for a callback (needs callbacks.uri); ExitKey
	// leaves the queue with a goodbye. Empty disables either.
	CallbackKey string `yaml:"callback_key"`
	ExitKey     string `yaml:"exit_key"`
	// Record keeps the conversation with the agent as a WAV file
	// (default true).
	Record *bool `yaml:"record"`
	// Survey names the post-call survey (under surveys) a caller still on
	// the line hears after the agent hangs up.
	Survey string `yaml:"survey"`
}

// Overflow widens who may take a call once it has waited After: agents
// of another queue, agents with a lower skill level, or an external URI.
type Overflow struct {
	After    Duration `yaml:"after"`
	Queue    string   `yaml:"queue"`
	MinLevel int      `yaml:"min_level"`
	URI      string   `yaml:"uri"`
}

// ACD holds routing settings shared by all queues.
type ACD struct {
	// MaxMissed auto-pauses an agent who missed this many offers in a
	// row (default 3; 0 in the file means the default, -1 never).
	MaxMissed int `yaml:"max_missed"`
	// RepeatWithin and RepeatBoost raise the priority of a customer who
	// called within that time by that many classes.
	RepeatWithin Duration `yaml:"repeat_within"`
	RepeatBoost  int      `yaml:"repeat_boost"`
	// VIP maps caller numbers to a priority class (0 highest).
	VIP map[string]int `yaml:"vip"`
}

// Callbacks says how a customer who asked to be called back is dialled.
type Callbacks struct {
	// URI is a SIP URI template; {number} is replaced by the customer's
	// number, e.g. sip:{number}@trunk.example.com. Empty disables
	// callbacks.
	URI string `yaml:"uri"`
}

// Agent is one agent: a SIP user who answers queue calls.
type Agent struct {
	Name     string `yaml:"name"`
	Password string `yaml:"password"`
	// Skills by name (a queue's name is its default skill), level 1-10.
	Skills map[string]int `yaml:"skills"`
}

// Duration is a time.Duration written as "30s" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string, or a whole number of days
// ("90d") for retention periods.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if days, ok := strings.CutSuffix(n.Value, "d"); ok {
		var nd int
		nd, err = strconv.Atoi(days)
		v = time.Duration(nd) * 24 * time.Hour
	}
	if err != nil || v < 0 {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid duration %q (want e.g. 30s, 1m, 90d)", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// Defaults used where the file says nothing.
const (
	DefaultSIPListen       = "127.0.0.1:5060"
	DefaultHTTPListen      = "127.0.0.1:8080"
	DefaultDataDir         = "./data"
	DefaultRTPPorts        = "20000-29999"
	DefaultRTPTimeout      = 30 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
)

// Error is a list of problems, each "file:line: field: problem".
type Error struct {
	Problems []string
}

func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

// Load reads and validates a config file. checkPrompt (may be nil) checks
// that a prompt exists and is playable; it runs with the config's FS.
func Load(path string, checkPrompt func(c *Config, p ivr.Prompt) error) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(b, path, os.DirFS(filepath.Dir(path)), checkPrompt)
}

// Parse decodes and validates a config held in memory. name is used in
// messages; fsys resolves relative file names.
func Parse(b []byte, name string, fsys fs.FS, checkPrompt func(c *Config, p ivr.Prompt) error) (*Config, error) {
	var problems []string
	add := func(line int, field, problem string) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", name, line, field, problem))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, &Error{Problems: []string{YAMLProblem(name, err)}}
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{Problems: []string{fmt.Sprintf("%s:1: (root): want a mapping of settings", name)}}
	}
	doc := root.Content[0]

	c := &Config{Path: name, FS: fsys}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				problems = append(problems, TypeProblem(name, e))
			}
		} else {
			problems = append(problems, YAMLProblem(name, err))
		}
	}
	c.applyDefaults()
	if c.PromptsDir != "" && c.PromptsDir != "." {
		if !fs.ValidPath(c.PromptsDir) {
			add(lineOf(doc, "prompts_dir"), "prompts_dir", fmt.Sprintf("%q must be a relative path without '..'", c.PromptsDir))
		} else if sub, err := fs.Sub(fsys, c.PromptsDir); err == nil {
			c.FS = sub
		}
	}

	line := func(path ...string) int { return lineOf(doc, path...) }
	if _, err := netip.ParseAddrPort(c.SIP.Listen); err != nil {
		if _, _, err2 := net.SplitHostPort(c.SIP.Listen); err2 != nil {
			add(line("sip", "listen"), "sip.listen", fmt.Sprintf("%q is not host:port", c.SIP.Listen))
		}
	}
	for i, t := range c.SIP.Transports {
		if t != "udp" && t != "tcp" {
			add(line("sip", "transports"), fmt.Sprintf("sip.transports[%d]", i), fmt.Sprintf("unknown transport %q (want udp or tcp)", t))
		}
	}
	if c.SIP.Advertise != "" {
		if a, err := netip.ParseAddr(c.SIP.Advertise); err != nil || a.IsUnspecified() {
			add(line("sip", "advertise"), "sip.advertise", fmt.Sprintf("%q is not a concrete IP address", c.SIP.Advertise))
		}
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		add(line("http", "listen"), "http.listen", fmt.Sprintf("%q is not host:port", c.HTTP.Listen))
	}
	if _, _, err := ParsePortRange(c.Media.RTPPorts); err != nil {
		add(line("media", "rtp_ports"), "media.rtp_ports", err.Error())
	}
	if c.TTS.Speed != 0 && (c.TTS.Speed < 80 || c.TTS.Speed > 450) {
		add(line("tts", "speed"), "tts.speed", fmt.Sprintf("%d words per minute is outside 80-450", c.TTS.Speed))
	}

	agentIDs := make([]string, 0, len(c.Agents))
	for id := range c.Agents {
		agentIDs = append(agentIDs, id)
	}
	sort.Strings(agentIDs)
	for _, id := range agentIDs {
		a := c.Agents[id]
		if !validAgentID(id) {
			add(line("agents", id), "agents."+id, "agent id must be letters, digits, '.', '-' or '_' (it is the SIP user name)")
		}
		if len(a.Password) < 6 {
			add(line("agents", id, "password"), "agents."+id+".password", "need a password of at least 6 characters")
		}
		for skill, lvl := range a.Skills {
			if lvl < 1 || lvl > 10 {
				add(line("agents", id, "skills", skill), "agents."+id+".skills."+skill, fmt.Sprintf("level %d is outside 1-10", lvl))
			}
		}
	}

	c.checkQueues(add, line)
	c.checkFeedback(add, line)
	c.checkAccess(add, line)
	c.checkAsterisk(add, line)
	c.checkLimits(add, line)
	c.checkTLS(add, line)
	c.checkDatabase(add, line)

	ivrCfg, errs := ivr.Decode(doc)
	for _, fe := range errs {
		add(fe.Line, fe.Field, fe.Problem)
	}
	if ivrCfg != nil && len(errs) == 0 {
		c.IVR = ivrCfg
		queues := map[string]bool{}
		for q := range c.Queues {
			queues[q] = true
		}
		var check func(p ivr.Prompt) error
		if checkPrompt != nil {
			check = func(p ivr.Prompt) error { return checkPrompt(c, p) }
		}
		for _, fe := range ivrCfg.Validate(queues, check) {
			add(fe.Line, fe.Field, fe.Problem)
		}
		if checkPrompt != nil {
			names := make([]string, 0, len(c.Queues))
			for q := range c.Queues {
				names = append(names, q)
			}
			sort.Strings(names)
			for _, q := range names {
				if f := c.Queues[q].Unavailable; f != "" {
					if err := checkPrompt(c, c.QueuePrompt(q)); err != nil {
						add(line("queues", q, "unavailable"), "queues."+q+".unavailable", err.Error())
					}
				}
				if f := c.Queues[q].Music; f != "" {
					if err := checkPrompt(c, c.Prompt(f)); err != nil {
						add(line("queues", q, "music"), "queues."+q+".music", err.Error())
					}
				}
			}
			for _, f := range c.QueuePrompts.files() {
				if err := checkPrompt(c, c.Prompt(f.file)); err != nil {
					add(line("queue_prompts", f.key), "queue_prompts."+f.key, err.Error())
				}
			}
			for _, f := range c.surveyPrompts() {
				if err := checkPrompt(c, c.Prompt(f.file)); err != nil {
					add(line(fieldPath(f.key)...), f.key, err.Error())
				}
			}
		}
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return ProblemLine(problems[i]) < ProblemLine(problems[j]) })
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// QueuePrompt is the unavailable prompt of queue q, in the default language.
func (c *Config) QueuePrompt(q string) ivr.Prompt { return c.Prompt(c.Queues[q].Unavailable) }

// Prompt is a prompt file in the default language.
func (c *Config) Prompt(file string) ivr.Prompt {
	p := ivr.Prompt{File: file}
	if c.IVR != nil && len(c.IVR.Languages) > 0 {
		l := c.IVR.Languages[0]
		p.Lang, p.Voice, p.Dir = l.Code, l.Voice, l.Dir
	}
	return p
}

func (c *Config) applyDefaults() {
	if c.SIP.Listen == "" {
		c.SIP.Listen = DefaultSIPListen
	}
	if len(c.SIP.Transports) == 0 {
		c.SIP.Transports = []string{"udp", "tcp"}
	}
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = DefaultHTTPListen
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Media.RTPPorts == "" {
		c.Media.RTPPorts = DefaultRTPPorts
	}
	if c.Media.RTPTimeout == 0 {
		c.Media.RTPTimeout = Duration(DefaultRTPTimeout)
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = Duration(DefaultShutdownTimeout)
	}
	if c.TTS.Speed == 0 {
		c.TTS.Speed = 150
	}
}

func validAgentID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}

// Password returns an agent's SIP password: the registrar's credentials.
func (c *Config) Password(user string) (string, bool) {
	a, ok := c.Agents[user]
	if !ok {
		return "", false
	}
	return a.Password, true
}

// fieldPath splits a field name like "surveys.csat.questions[1].prompt"
// into lineOf's path: surveys, csat, questions, 1, prompt.
func fieldPath(field string) []string {
	var out []string
	for _, part := range strings.Split(field, ".") {
		name, idx, ok := strings.Cut(part, "[")
		out = append(out, name)
		if ok {
			out = append(out, strings.TrimSuffix(idx, "]"))
		}
	}
	return out
}

// ProblemLine is the line number in "file:line: ...", for sorting.
func ProblemLine(p string) int {
	_, rest, _ := strings.Cut(p, ":")
	n, _, _ := strings.Cut(rest, ":")
	v, _ := strconv.Atoi(n)
	return v
}

// ParsePortRange reads "MIN-MAX" (even MIN, at least two ports).
func ParsePortRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%q is not a port range like 20000-29999", s)
	}
	if lo < 1024 || hi > 65535 || hi <= lo {
		return 0, 0, fmt.Errorf("port range %d-%d: want 1024 <= MIN < MAX <= 65535", lo, hi)
	}
	return lo, hi, nil
}

// lineOf finds the line of the value at a path of mapping keys and
// sequence indexes ("3"), or the nearest existing parent's line.
func lineOf(n *yaml.Node, path ...string) int {
	line := n.Line
	for _, key := range path {
		if n.Kind == yaml.SequenceNode {
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			continue
		}
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				n = n.Content[i+1]
				line = n.Line
				found = true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

var (
	reLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	reNotFound = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// TypeProblem rewrites one of yaml.v3's type errors as file:line: field: problem.
func TypeProblem(name, e string) string {
	m := reLine.FindStringSubmatch(e)
	if m == nil {
		return fmt.Sprintf("%s: %s", name, e)
	}
	if f := reNotFound.FindStringSubmatch(m[2]); f != nil {
		return fmt.Sprintf("%s:%s: %s: unknown field", name, m[1], f[1])
	}
	return fmt.Sprintf("%s:%s: value: %s", name, m[1], m[2])
}

// YAMLProblem rewrites a yaml.v3 syntax error as file:line: (yaml): problem.
func YAMLProblem(name string, err error) string {
	m := reLine.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Sprintf("%s:1: (yaml): %v", name, err)
	}
	return fmt.Sprintf("%s:%s: (yaml): %s", name, m[1], m[2])
}
