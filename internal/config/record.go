package config

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/contactd/contactd/feedback"
	"github.com/contactd/contactd/ivr"
)

// Recording says where call audio goes and how long it is kept.
type Recording struct {
	// Dir holds the WAV files, relative to data_dir unless absolute
	// (default "recordings").
	Dir string `yaml:"dir"`
	// Retention deletes recordings older than this (e.g. 90d); 0 keeps
	// them for ever.
	Retention Duration `yaml:"retention"`
}

// Customers says how callers are identified in the timeline.
type Customers struct {
	// DefaultCountry is the calling code (e.g. "44") put in front of
	// national numbers to make them E.164.
	DefaultCountry string `yaml:"default_country"`
	// AccountVar is the IVR variable that, when a caller types it,
	// identifies the customer instead of their number.
	AccountVar string `yaml:"account_var"`
}

// Feedback holds settings shared by all surveys.
type Feedback struct {
	// Webhook, if set, receives a JSON POST for every low score.
	Webhook string `yaml:"webhook"`
}

// Survey is a post-call survey, by name under surveys:.
type Survey struct {
	Intro     string     `yaml:"intro"`
	Questions []Question `yaml:"questions"`
	Comment   *Comment   `yaml:"comment"`
	Thanks    string     `yaml:"thanks"`
	// AlertAtOrBelow raises an alert for a score at or below it on the
	// question marked alert (or the first); 0 never alerts.
	AlertAtOrBelow int `yaml:"alert_at_or_below"`
}

// Question is one survey question.
type Question struct {
	ID      string   `yaml:"id"`
	Prompt  string   `yaml:"prompt"`
	Scale   string   `yaml:"scale"` // 1-5 (default), 1-10 or 0-10
	Timeout Duration `yaml:"timeout"`
	Retries *int     `yaml:"retries"`
	Invalid string   `yaml:"invalid"`
	Alert   bool     `yaml:"alert"`
}

// Comment is the optional recorded voice comment after the questions.
type Comment struct {
	Prompt    string   `yaml:"prompt"`
	MaxLength Duration `yaml:"max_length"`
	Key       string   `yaml:"key"`
}

// DefaultRecordingDir is where recordings go under data_dir.
const DefaultRecordingDir = "recordings"

// Records reports whether queue q records its calls (the default).
func (c *Config) Records(q string) bool {
	r := c.Queues[q].Record
	return r == nil || *r
}

// RecordingDir is the absolute or data_dir-relative recordings folder.
func (c *Config) RecordingDir() string {
	d := c.Recording.Dir
	if d == "" {
		d = DefaultRecordingDir
	}
	if strings.HasPrefix(d, "/") {
		return d
	}
	return strings.TrimSuffix(c.DataDir, "/") + "/" + d
}

// checkFeedback validates surveys, the queues' references to them, and
// the recording and customer settings.
func (c *Config) checkFeedback(add func(line int, field, problem string), line func(path ...string) int) {
	names := make([]string, 0, len(c.Surveys))
	for n := range c.Surveys {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		s, err := c.survey(name)
		errs := []error{err}
		if err == nil {
			errs = s.Validate()
		}
		for _, e := range errs {
			field, problem := "surveys."+name, e.Error()
			if fe, ok := e.(feedback.FieldError); ok {
				field += "." + fe.Field
				problem = fe.Problem
			}
			add(line(fieldPath(field)...), field, problem)
		}
	}
	for _, q := range sortedKeys(c.Queues) {
		if sv := c.Queues[q].Survey; sv != "" {
			if _, ok := c.Surveys[sv]; !ok {
				add(line("queues", q, "survey"), "queues."+q+".survey", fmt.Sprintf("no survey %q under surveys", sv))
			}
		}
	}
	if w := c.Feedback.Webhook; w != "" {
		if u, err := url.Parse(w); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(line("feedback", "webhook"), "feedback.webhook", fmt.Sprintf("%q is not an http(s) URL", w))
		}
	}
	if cc := c.Customers.DefaultCountry; cc != "" {
		cc = strings.TrimPrefix(cc, "+")
		ok := len(cc) >= 1 && len(cc) <= 3
		for _, r := range cc {
			ok = ok && r >= '0' && r <= '9'
		}
		if !ok {
			add(line("customers", "default_country"), "customers.default_country", fmt.Sprintf("%q is not a country calling code like 44 or 1", c.Customers.DefaultCountry))
		}
		c.Customers.DefaultCountry = cc
	}
}

// survey builds the feedback package's survey from the file's, defaults
// applied.
func (c *Config) survey(name string) (*feedback.Survey, error) {
	cs := c.Surveys[name]
	prompts := func(f string) []ivr.Prompt {
		if f == "" {
			return nil
		}
		return []ivr.Prompt{c.Prompt(f)}
	}
	s := &feedback.Survey{Name: name, Intro: prompts(cs.Intro), Thanks: prompts(cs.Thanks), AlertAtOrBelow: cs.AlertAtOrBelow}
	for i, q := range cs.Questions {
		scale := feedback.Scale1to5
		if q.Scale != "" {
			sc, err := feedback.ParseScale(q.Scale)
			if err != nil {
				return nil, feedback.FieldError{Field: fmt.Sprintf("questions[%d].scale", i), Problem: err.Error()}
			}
			scale = sc
		}
		fq := feedback.Question{ID: q.ID, Prompt: prompts(q.Prompt), Scale: scale, Timeout: time.Duration(q.Timeout), Invalid: prompts(q.Invalid), Alert: q.Alert, Retries: -1}
		if q.Retries != nil {
			fq.Retries = *q.Retries
		}
		s.Questions = append(s.Questions, fq)
	}
	if cs.Comment != nil {
		fc := &feedback.Comment{Prompt: prompts(cs.Comment.Prompt), MaxLength: time.Duration(cs.Comment.MaxLength)}
		if k := cs.Comment.Key; k != "" {
			if !validKey(k) {
				return nil, feedback.FieldError{Field: "comment.key", Problem: fmt.Sprintf("%q is not one key of 0-9, * or #", k)}
			}
			fc.Key = k[0]
		}
		s.Comment = fc
	}
	return s.WithDefaults(), nil
}

// Survey is queue q's survey, or nil when it has none.
func (c *Config) Survey(q string) *feedback.Survey {
	name := c.Queues[q].Survey
	if name == "" {
		return nil
	}
	s, err := c.survey(name)
	if err != nil {
		return nil // Parse has reported it
	}
	return s
}

// surveyPrompts lists every prompt file the surveys name, for checking.
func (c *Config) surveyPrompts() []promptFile {
	var out []promptFile
	for _, name := range sortedKeys(c.Surveys) {
		s := c.Surveys[name]
		key := "surveys." + name
		for _, f := range []promptFile{{key + ".intro", s.Intro}, {key + ".thanks", s.Thanks}} {
			if f.file != "" {
				out = append(out, f)
			}
		}
		for i, q := range s.Questions {
			for _, f := range []promptFile{{fmt.Sprintf("%s.questions[%d].prompt", key, i), q.Prompt}, {fmt.Sprintf("%s.questions[%d].invalid", key, i), q.Invalid}} {
				if f.file != "" {
					out = append(out, f)
				}
			}
		}
		if s.Comment != nil && s.Comment.Prompt != "" {
			out = append(out, promptFile{key + ".comment.prompt", s.Comment.Prompt})
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
