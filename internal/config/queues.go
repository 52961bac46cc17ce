package config

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Queue defaults where the file says nothing.
const (
	DefaultRingTimeout     = 15 * time.Second
	DefaultServiceLevel    = 20 * time.Second
	DefaultServiceLevelPct = 80
	DefaultMaxMissed       = 3
)

var strategies = map[string]bool{"": true, "longest-idle": true, "fewest-calls": true, "round-robin": true, "ring-all": true, "skill-sparing": true}

// validKey reports whether k is one DTMF key.
func validKey(k string) bool { return len(k) == 1 && strings.Contains("0123456789*#", k) }

// checkQueues validates the queues, the ACD settings and callbacks, and
// fills in queue defaults.
func (c *Config) checkQueues(add func(line int, field, problem string), line func(path ...string) int) {
	names := make([]string, 0, len(c.Queues))
	for q := range c.Queues {
		names = append(names, q)
	}
	sort.Strings(names)
	for _, name := range names {
		q := c.Queues[name]
		field := func(f string) string { return "queues." + name + "." + f }
		if !strategies[q.Strategy] {
			add(line("queues", name, "strategy"), field("strategy"), fmt.Sprintf("unknown strategy %q (want longest-idle, fewest-calls, round-robin, ring-all or skill-sparing)", q.Strategy))
		}
		for skill, lvl := range q.Skills {
			if lvl < 1 || lvl > 10 {
				add(line("queues", name, "skills", skill), field("skills."+skill), fmt.Sprintf("level %d is outside 1-10", lvl))
			}
		}
		if q.ServiceLevelPct < 0 || q.ServiceLevelPct > 100 {
			add(line("queues", name, "service_level_pct"), field("service_level_pct"), fmt.Sprintf("%v is outside 0-100", q.ServiceLevelPct))
		}
		if q.MaxWaitQueue != "" {
			if _, ok := c.Queues[q.MaxWaitQueue]; !ok || q.MaxWaitQueue == name {
				add(line("queues", name, "max_wait_queue"), field("max_wait_queue"), fmt.Sprintf("%q is not another queue", q.MaxWaitQueue))
			}
			if q.MaxWait == 0 {
				add(line("queues", name, "max_wait_queue"), field("max_wait_queue"), "needs max_wait")
			}
		}
		for i, o := range q.Overflow {
			of := fmt.Sprintf("overflow[%d]", i)
			n := 0
			if o.Queue != "" {
				n++
				if _, ok := c.Queues[o.Queue]; !ok || o.Queue == name {
					add(line("queues", name, "overflow"), field(of+".queue"), fmt.Sprintf("%q is not another queue", o.Queue))
				}
			}
			if o.MinLevel != 0 {
				n++
				if o.MinLevel < 1 || o.MinLevel > 10 {
					add(line("queues", name, "overflow"), field(of+".min_level"), fmt.Sprintf("level %d is outside 1-10", o.MinLevel))
				}
			}
			if o.URI != "" {
				n++
				if u, err := url.Parse(o.URI); err != nil || (u.Scheme != "sip" && u.Scheme != "sips") {
					add(line("queues", name, "overflow"), field(of+".uri"), fmt.Sprintf("%q is not a sip: URI", o.URI))
				}
			}
			if n != 1 {
				add(line("queues", name, "overflow"), field(of), "want exactly one of queue, min_level or uri")
			}
			if o.After <= 0 {
				add(line("queues", name, "overflow"), field(of+".after"), "need a positive time, e.g. 60s")
			}
		}
		if q.CallbackKey != "" && !validKey(q.CallbackKey) {
			add(line("queues", name, "callback_key"), field("callback_key"), fmt.Sprintf("%q is not one key of 0-9, * or #", q.CallbackKey))
		}
		if q.ExitKey != "" && !validKey(q.ExitKey) {
			add(line("queues", name, "exit_key"), field("exit_key"), fmt.Sprintf("%q is not one key of 0-9, * or #", q.ExitKey))
		}
		if q.CallbackKey != "" && q.CallbackKey == q.ExitKey {
			add(line("queues", name, "exit_key"), field("exit_key"), "same key as callback_key")
		}
		if q.CallbackKey != "" && c.Callbacks.URI == "" {
			add(line("queues", name, "callback_key"), field("callback_key"), "callbacks need callbacks.uri (how to dial the customer)")
		}
		if len(q.Skills) == 0 {
			q.Skills = map[string]int{name: 1}
		}
		if q.RingTimeout == 0 {
			q.RingTimeout = Duration(DefaultRingTimeout)
		}
		if q.ServiceLevel == 0 {
			q.ServiceLevel = Duration(DefaultServiceLevel)
		}
		if q.ServiceLevelPct == 0 {
			q.ServiceLevelPct = DefaultServiceLevelPct
		}
		if q.JoinEmpty == nil {
			yes := true
			q.JoinEmpty = &yes
		}
		c.Queues[name] = q
	}
	for num, p := range c.ACD.VIP {
		if p < 0 || p > 9 {
			add(line("acd", "vip", num), "acd.vip."+num, fmt.Sprintf("priority %d is outside 0-9", p))
		}
	}
	if c.ACD.RepeatBoost < 0 || c.ACD.RepeatBoost > 9 {
		add(line("acd", "repeat_boost"), "acd.repeat_boost", fmt.Sprintf("%d is outside 0-9", c.ACD.RepeatBoost))
	}
	if c.ACD.MaxMissed < -1 {
		add(line("acd", "max_missed"), "acd.max_missed", "want -1 (never), 0 (default 3) or a positive count")
	}
	if c.ACD.MaxMissed == 0 {
		c.ACD.MaxMissed = DefaultMaxMissed
	}
	if u := c.Callbacks.URI; u != "" && (!strings.HasPrefix(u, "sip:") && !strings.HasPrefix(u, "sips:") || !strings.Contains(u, "{number}")) {
		add(line("callbacks", "uri"), "callbacks.uri", fmt.Sprintf("%q is not a sip: URI with {number} in it", u))
	}
}

// QueuePrompts are the prompt files a waiting caller hears. Announcements
// are assembled from pieces: Position, a number, InLine; Wait, a number,
// Minutes (or Minute); or WaitShort under a minute. Numbers is a file name
// pattern where {n} is 1-20, 30, 40, ... 90.
type QueuePrompts struct {
	Hold            string `yaml:"hold"`
	Position        string `yaml:"position"`
	InLine          string `yaml:"in_line"`
	Wait            string `yaml:"wait"`
	Minutes         string `yaml:"minutes"`
	Minute          string `yaml:"minute"`
	WaitShort       string `yaml:"wait_short"`
	Numbers         string `yaml:"numbers"`
	CallbackOffer   string `yaml:"callback_offer"`
	CallbackConfirm string `yaml:"callback_confirm"`
	CallbackIntro   string `yaml:"callback_intro"`
	Goodbye         string `yaml:"goodbye"`
}

// NumberFile is the prompt file saying n (1-20 or a multiple of ten to 90).
func (p QueuePrompts) NumberFile(n int) string {
	return strings.ReplaceAll(p.Numbers, "{n}", fmt.Sprint(n))
}

type promptFile struct{ key, file string }

// files lists every prompt file named, for checking, numbers included.
func (p QueuePrompts) files() []promptFile {
	var out []promptFile
	for _, f := range []promptFile{
		{"hold", p.Hold}, {"position", p.Position}, {"in_line", p.InLine}, {"wait", p.Wait},
		{"minutes", p.Minutes}, {"minute", p.Minute}, {"wait_short", p.WaitShort},
		{"callback_offer", p.CallbackOffer}, {"callback_confirm", p.CallbackConfirm},
		{"callback_intro", p.CallbackIntro}, {"goodbye", p.Goodbye},
	} {
		if f.file != "" {
			out = append(out, f)
		}
	}
	if p.Numbers != "" {
		for n := 1; n <= 90; n++ {
			if n <= 20 || n%10 == 0 {
				out = append(out, promptFile{"numbers", p.NumberFile(n)})
			}
		}
	}
	return out
}

// ValidAgentID reports whether id can be an agent's id (a SIP user name).
func ValidAgentID(id string) bool { return validAgentID(id) }
