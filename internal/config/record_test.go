package config_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/contactd/contactd/feedback"
	"github.com/contactd/contactd/internal/config"
)

const surveyQueue = `
queues:
  support: {survey: csat}
`

func TestSurveyProblems(t *testing.T) {
	tests := []struct {
		name    string
		surveys string
		want    string
	}{
		{"no questions", "  csat: {thanks: bye.wav}\n", "c.yaml:3: surveys.csat.questions: at least one question is needed"},
		{"bad scale", "  csat:\n    questions:\n      - {id: q1, prompt: q.wav, scale: 1-7}\n", "c.yaml:5: surveys.csat.questions[0].scale: unknown scale"},
		{"duplicate id", "  csat:\n    questions:\n      - {id: q1, prompt: q.wav}\n      - {id: q1, prompt: q.wav}\n", "c.yaml:6: surveys.csat.questions[1].id:"},
		{"alert on everything", "  csat:\n    alert_at_or_below: 5\n    questions:\n      - {id: q1, prompt: q.wav}\n", "surveys.csat.alert_at_or_below: 5 would alert on every answer"},
		{"unknown field", "  csat:\n    questions:\n      - {id: q1, promt: q.wav}\n", "c.yaml:5: promt: unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse([]byte("\nsurveys:\n"+tt.surveys+surveyQueue+menus), "c.yaml", fstest.MapFS{}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestQueueNamesUnknownSurvey(t *testing.T) {
	_, err := config.Parse([]byte("queues:\n  support: {survey: nps}\n"+menus), "c.yaml", fstest.MapFS{}, nil)
	if want := "c.yaml:2: queues.support.survey: no survey \"nps\" under surveys"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestSurveyDecodes(t *testing.T) {
	doc := `
surveys:
  csat:
    intro: intro.wav
    alert_at_or_below: 2
    questions:
      - {id: agent, prompt: q1.wav, invalid: bad.wav}
      - {id: nps, prompt: q2.wav, scale: 0-10, timeout: 8s, retries: 0}
    comment: {prompt: comment.wav, max_length: 20s}
    thanks: thanks.wav
recording:
  retention: 90d
customers:
  default_country: "+44"
` + surveyQueue + menus
	c, err := config.Parse([]byte(doc), "c.yaml", fstest.MapFS{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Survey("support")
	if s == nil {
		t.Fatal("support's survey: got nil, want csat")
	}
	if len(s.Questions) != 2 || s.Questions[0].Scale != feedback.Scale1to5 || s.Questions[1].Scale != feedback.Scale0to10 {
		t.Fatalf("questions: got %+v, want agent 1-5 and nps 0-10", s.Questions)
	}
	if got := s.Questions[1].Timeout; got != 8*time.Second {
		t.Errorf("nps timeout: got %v, want 8s", got)
	}
	if got := s.Questions[0].Timeout; got != feedback.DefaultTimeout {
		t.Errorf("default timeout: got %v, want %v", got, feedback.DefaultTimeout)
	}
	if s.Comment == nil || s.Comment.MaxLength != 20*time.Second || s.Comment.Key != '#' {
		t.Errorf("comment: got %+v, want 20s ended by #", s.Comment)
	}
	if s.AlertAtOrBelow != 2 || len(s.Intro) != 1 || s.Intro[0].File != "intro.wav" {
		t.Errorf("survey: got alert %d intro %+v, want 2 and intro.wav", s.AlertAtOrBelow, s.Intro)
	}
	if got := time.Duration(c.Recording.Retention); got != 90*24*time.Hour {
		t.Errorf("retention: got %v, want 90 days", got)
	}
	if c.Customers.DefaultCountry != "44" {
		t.Errorf("default country: got %q, want 44", c.Customers.DefaultCountry)
	}
	if !c.Records("support") || c.RecordingDir() != "./data/recordings" {
		t.Errorf("recording: got records %v dir %q, want true and ./data/recordings", c.Records("support"), c.RecordingDir())
	}
	if c.Survey("sales") != nil {
		t.Errorf("a queue without a survey got one")
	}
}

func TestSIPLimits(t *testing.T) {
	_, err := config.Parse([]byte("sip:\n  limits:\n    invite_per_second: -3\n    trusted: [10.0.0.0/8, not-an-ip]\n"+menus), "c.yaml", fstest.MapFS{}, nil)
	for _, want := range []string{"c.yaml:3: sip.limits.invite_per_second:", "c.yaml:4: sip.limits.trusted[1]: \"not-an-ip\""} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	c, err := config.Parse([]byte("sip:\n  limits:\n    ban_for: 30m\n    trusted: [10.0.0.0/8, 192.0.2.1]\n"+menus), "c.yaml", fstest.MapFS{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.SIP.Limits.TrustedPrefixes(); len(got) != 2 || got[1].String() != "192.0.2.1/32" || time.Duration(c.SIP.Limits.BanFor) != 30*time.Minute {
		t.Errorf("limits: got %v ban %v, want two prefixes and 30m", got, c.SIP.Limits.BanFor)
	}
}
