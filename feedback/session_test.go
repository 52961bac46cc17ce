package feedback

import (
	"strings"
	"testing"
	"time"
)

// runScript starts a one-question survey on scale and plays script: space
// separated tokens, each one second after the previous; "p" is PlayDone,
// "T" a Tick at the deadline, "h" the caller hanging up, anything else a key.
func runScript(t *testing.T, sv *Survey, script string) *Session {
	t.Helper()
	s := NewSession(sv, sec(0))
	var fc finishCounter
	fc.add(s.Start(sec(0)))
	now := sec(0)
	for _, tok := range strings.Fields(script) {
		now = now.Add(time.Second)
		switch tok {
		case "p":
			fc.add(s.PlayDone(now))
		case "T":
			d, ok := s.Deadline()
			if !ok {
				t.Fatalf("script %q: T with no timer running", script)
			}
			now = d
			fc.add(s.Tick(now))
		case "h":
			fc.add(s.Hangup(now))
		default:
			fc.add(s.Digit(now, tok[0]))
		}
	}
	fc.check(t, s)
	return s
}

func oneQuestion(sc Scale) *Survey {
	return &Survey{Questions: []Question{{ID: "q", Prompt: ps("q"), Scale: sc, Invalid: ps("bad")}}}
}

func TestDigitEntry(t *testing.T) {
	tests := []struct {
		scale  Scale
		script string
		want   string
	}{
		{Scale1to5, "p 4", "q=4 completed"},
		{Scale1to5, "1", "q=1 completed"}, // barge-in on the prompt
		{Scale1to5, "p 5", "q=5 completed"},
		{Scale1to5, "p 0 p 3", "q=3 completed"},
		{Scale1to5, "p 6 3", "q=3 completed"},
		{Scale1to5, "p * p 2", "q=2 completed"},
		{Scale1to5, "p # p 2", "q=2 completed"},
		{Scale1to5, "p 9 p 9", "q=skip skipped"},
		{Scale1to5, "p T p T", "q=skip skipped"},
		{Scale1to5, "p T p 3", "q=3 completed"},
		{Scale1to5, "p T 3", "q=3 completed"},
		{Scale1to5, "p h", "q=skip skipped"},
		{Scale1to5, "h", "q=skip skipped"},

		{Scale1to10, "p 1 0", "q=10 completed"},
		{Scale1to10, "1 0", "q=10 completed"},
		{Scale1to10, "p 1 #", "q=1 completed"},
		{Scale1to10, "p 1 T", "q=1 completed"},
		{Scale1to10, "p 7", "q=7 completed"},
		{Scale1to10, "p 2", "q=2 completed"},
		{Scale1to10, "p 0 p 5", "q=5 completed"},
		{Scale1to10, "p 1 1 p 3", "q=3 completed"},
		{Scale1to10, "p 1 * p 2", "q=2 completed"},
		{Scale1to10, "p 1 5 p 1 6", "q=skip skipped"},
		{Scale1to10, "p 1 h", "q=1 completed"}, // as the inter-digit timeout would
		{Scale1to10, "p T p 1 0", "q=10 completed"},

		{Scale0to10, "p 0", "q=0 completed"},
		{Scale0to10, "p 1 0", "q=10 completed"},
		{Scale0to10, "p 1 #", "q=1 completed"},
		{Scale0to10, "p 1 T", "q=1 completed"},
		{Scale0to10, "p 9", "q=9 completed"},
		{Scale0to10, "p # p 0", "q=0 completed"},
		{Scale0to10, "p 1 2 p 1 2", "q=skip skipped"},
		{Scale0to10, "p 1 2 p 1 T", "q=1 completed"},
	}
	for _, tt := range tests {
		t.Run(tt.scale.String()+" "+tt.script, func(t *testing.T) {
			s := runScript(t, oneQuestion(tt.scale), tt.script)
			if !s.Done() {
				t.Fatalf("script %q: got a running session, want it finished", tt.script)
			}
			if got := describeResult(s.Result()); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, a := range s.Result().Answers {
				if !a.Skipped && !a.Scale.Contains(a.Score) {
					t.Errorf("got score %d, want one on %v", a.Score, a.Scale)
				}
			}
		})
	}
}

// survey3 has one question of each scale, a comment and thanks.
func survey3() *Survey {
	return &Survey{
		Name:  "post",
		Intro: ps("intro"),
		Questions: []Question{
			{ID: "csat", Prompt: ps("q-csat"), Invalid: ps("invalid")},
			{ID: "agent", Prompt: ps("q-agent"), Scale: Scale1to10},
			{ID: "nps", Prompt: ps("q-nps"), Scale: Scale0to10, Retries: NoRetries},
		},
		Comment: &Comment{Prompt: ps("comment")},
		Thanks:  ps("thanks"),
	}
}

type step struct {
	ev   event
	want string // describe() of the actions returned
}

func TestScenarios(t *testing.T) {
	noComment := survey3()
	noComment.Comment = nil
	bare := survey3()
	bare.Intro, bare.Thanks, bare.Comment = nil, nil, &Comment{}

	tests := []struct {
		name   string
		survey *Survey
		steps  []step
		result string
	}{
		{
			name:   "answers everything and leaves a comment",
			survey: survey3(),
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{done(6), ""},
				{key(7, '5'), "play(q-agent)"},
				{done(9), ""},
				{key(10, '1'), ""},
				{key(10.5, '0'), "play(q-nps)"},
				{key(11, '#'), ""}, // the habitual '#' after "10" is not an answer
				{done(13), ""},
				{key(14, '9'), "play(comment)"},
				{done(16), "record(30s #)"},
				{recorded(28, "r1", 12), "play(thanks)"},
				{done(30), "finished(csat=5 agent=10 nps=9 comment=r1/12s completed)"},
				{done(31), ""},
				{bye(32), ""},
			},
			result: "csat=5 agent=10 nps=9 comment=r1/12s completed",
		},
		{
			name:   "barge-in stops each prompt",
			survey: noComment,
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{key(1, '4'), "stop play(q-agent)"},
				{key(2, '8'), "stop play(q-nps)"},
				{key(3, '1'), "stop"},
				{key(4, '0'), "play(thanks)"},
				{key(5, '5'), ""}, // not listening during thanks
				{done(6), "finished(csat=4 agent=8 nps=10 completed)"},
			},
			result: "csat=4 agent=8 nps=10 completed",
		},
		{
			name:   "invalid then valid, with the invalid prompt",
			survey: noComment,
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{done(5), ""},
				{key(6, '7'), "play(invalid q-csat)"},
				{key(7, '*'), "stop play(q-agent)"}, // second invalid: retries used up, skipped
				{done(9), ""},
				{key(10, '#'), "play(q-agent)"}, // '#' alone is invalid; no invalid prompt set
				{key(11, '3'), "stop play(q-nps)"},
				{done(13), ""},
				{key(14, '*'), "play(thanks)"}, // NoRetries: skipped at once
				{done(15), "finished(csat=skip agent=3 nps=skip)"},
			},
			result: "csat=skip agent=3 nps=skip",
		},
		{
			name:   "timeouts repeat the question, then skip it",
			survey: noComment,
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{tick(3), ""}, // no timer while the prompt plays
				{done(6), ""},
				{tick(10.9), ""},
				{tick(11), "play(q-csat)"},
				{done(14), ""},
				{tick(18.9), ""},
				{tick(19), "play(q-agent)"},
				{done(21), ""},
				{tick(26), "play(q-agent)"},
				{done(28), ""},
				{key(29, '1'), ""},
				{tick(31), "play(q-nps)"}, // inter-digit timeout takes the 1
				{done(33), ""},
				{tick(38), "play(thanks)"},
				{done(40), "finished(csat=skip agent=1 nps=skip)"},
			},
			result: "csat=skip agent=1 nps=skip",
		},
		{
			name:   "hangup mid-survey skips the rest",
			survey: survey3(),
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{key(2, '4'), "stop play(q-agent)"},
				{bye(3), "finished(csat=4 agent=skip nps=skip)"},
				{key(4, '5'), ""},
				{bye(5), ""},
			},
			result: "csat=4 agent=skip nps=skip",
		},
		{
			name:   "hangup before start",
			survey: survey3(),
			steps: []step{
				{bye(0), "finished(csat=skip agent=skip nps=skip skipped)"},
				{start(1), ""},
			},
			result: "csat=skip agent=skip nps=skip skipped",
		},
		{
			name:   "digits before start are ignored",
			survey: noComment,
			steps: []step{
				{key(0, '5'), ""},
				{done(0), ""},
				{tick(100), ""},
				{start(1), "play(intro q-csat)"},
			},
			result: "skipped",
		},
		{
			name:   "no comment is recorded when nothing was answered",
			survey: survey3(),
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{done(5), ""},
				{tick(10), "play(q-csat)"},
				{key(11, '9'), "stop play(q-agent)"},
				{key(12, '0'), "stop play(q-agent)"},
				{key(13, '0'), "stop play(q-nps)"},
				{key(14, '*'), "stop play(thanks)"},
				{done(15), "finished(csat=skip agent=skip nps=skip skipped)"},
			},
			result: "csat=skip agent=skip nps=skip skipped",
		},
		{
			name:   "comment kept when reported before the hangup",
			survey: survey3(),
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{key(1, '2'), "stop play(q-agent)"},
				{key(2, '2'), "stop play(q-nps)"},
				{key(3, '2'), "stop play(comment)"},
				{key(4, '#'), ""}, // not listening to the comment prompt
				{done(5), "record(30s #)"},
				{key(6, '#'), ""}, // the driver's stop key, not the session's
				{recorded(6, "r2", 1), "play(thanks)"},
				{bye(7), "finished(csat=2 agent=2 nps=2 comment=r2/1s completed)"},
			},
			result: "csat=2 agent=2 nps=2 comment=r2/1s completed",
		},
		{
			name:   "hangup while recording loses the comment",
			survey: survey3(),
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{key(1, '3'), "stop play(q-agent)"},
				{key(2, '3'), "stop play(q-nps)"},
				{key(3, '3'), "stop play(comment)"},
				{done(5), "record(30s #)"},
				{bye(9), "finished(csat=3 agent=3 nps=3 completed)"},
				{recorded(9, "late", 4), ""},
			},
			result: "csat=3 agent=3 nps=3 completed",
		},
		{
			name:   "empty recording is no comment",
			survey: survey3(),
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{key(1, '3'), "stop play(q-agent)"},
				{key(2, '3'), "stop play(q-nps)"},
				{key(3, '3'), "stop play(comment)"},
				{done(5), "record(30s #)"},
				{recorded(9, "r3", 0), "play(thanks)"},
				{done(10), "finished(csat=3 agent=3 nps=3 completed)"},
			},
			result: "csat=3 agent=3 nps=3 completed",
		},
		{
			name:   "a driver that never ends the recording does not hold the caller",
			survey: bare,
			steps: []step{
				{start(0), "play(q-csat)"},
				{key(1, '5'), "stop play(q-agent)"},
				{key(2, '5'), "stop play(q-nps)"},
				{key(3, '5'), "stop record(30s #)"},
				{tick(37.9), ""},
				{tick(38), "finished(csat=5 agent=5 nps=5 completed)"},
			},
			result: "csat=5 agent=5 nps=5 completed",
		},
		{
			name:   "a '#' after a single-digit answer is swallowed once",
			survey: noComment,
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{done(4), ""},
				{key(5, '4'), "play(q-agent)"},
				{key(5.2, '#'), ""},
				{key(5.4, '#'), "stop play(q-agent)"}, // the second one is an answer, and invalid
				{key(6, '6'), "stop play(q-nps)"},
			},
			result: "csat=4 agent=6",
		},
		{
			name:   "a '#' that ended the entry is not swallowed again",
			survey: noComment,
			steps: []step{
				{start(0), "play(intro q-csat)"},
				{key(1, '4'), "stop play(q-agent)"},
				{key(2, '1'), "stop"},
				{key(3, '#'), "play(q-nps)"},
				{key(4, '#'), "stop play(thanks)"}, // invalid, NoRetries: skipped
			},
			result: "csat=4 agent=1 nps=skip",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSession(tt.survey, sec(0))
			var fc finishCounter
			for i, st := range tt.steps {
				as := st.ev(s)
				fc.add(as)
				if got := describe(as); got != st.want {
					t.Errorf("step %d: got %q, want %q", i, got, st.want)
				}
			}
			fc.check(t, s)
			if got := describeResult(s.Result()); got != tt.result {
				t.Errorf("result: got %v, want %v", got, tt.result)
			}
		})
	}
}

// The question's timer runs from the end of its prompt, and the entry
// timer from the last digit.
func TestDeadlines(t *testing.T) {
	s := NewSession(survey3(), sec(0))
	check := func(when string, want float64, wantOK bool) {
		t.Helper()
		d, ok := s.Deadline()
		if ok != wantOK || (ok && !d.Equal(sec(want))) {
			t.Errorf("%s: got %v %v, want %v %v", when, d.Sub(t0), ok, time.Duration(want*float64(time.Second)), wantOK)
		}
	}
	check("before start", 0, false)
	s.Start(sec(0))
	check("prompt playing", 0, false)
	s.PlayDone(sec(7))
	check("prompt ended", 12, true)
	s.Digit(sec(8), '5')
	check("next prompt playing", 0, false)
	s.Digit(sec(9), '1')
	check("first of two digits", 11, true)
	// A late event cannot move time backwards.
	s.Tick(sec(3))
	check("stale tick", 11, true)
	s.Tick(sec(11))
	check("nps prompt playing", 0, false)
	s.Hangup(sec(12))
	check("finished", 0, false)
}

func TestQuestionDefaultsAndOverrides(t *testing.T) {
	sv := &Survey{Questions: []Question{{ID: "q", Timeout: 2 * time.Second, InterDigitTimeout: time.Second, Retries: 3, Scale: Scale1to10}}}
	s := NewSession(sv, sec(0))
	// No prompt: the timer starts at once.
	if got := describe(s.Start(sec(0))); got != "" {
		t.Errorf("start: got %q, want no action", got)
	}
	for i, want := range []string{"", "", "", "finished(q=skip skipped)"} {
		d, _ := s.Deadline()
		if got := d.Sub(t0); got != time.Duration(i+1)*2*time.Second {
			t.Errorf("retry %d: got deadline %v, want %v", i, got, time.Duration(i+1)*2*time.Second)
		}
		if got := describe(s.Tick(d)); got != want {
			t.Errorf("retry %d: got %q, want %q", i, got, want)
		}
	}
}

func TestAlertScore(t *testing.T) {
	first := func(threshold int) *Survey {
		return &Survey{AlertAtOrBelow: threshold, Questions: []Question{{ID: "a"}, {ID: "b", Scale: Scale0to10}}}
	}
	marked := &Survey{AlertAtOrBelow: 6, Questions: []Question{{ID: "a"}, {ID: "b", Scale: Scale0to10, Alert: true}}}
	res := func(a, b int, bSkipped bool) Result {
		return Result{Answers: []Answer{{Question: "a", Score: a}, {Question: "b", Scale: Scale0to10, Score: b, Skipped: bSkipped}}}
	}
	tests := []struct {
		name      string
		survey    *Survey
		result    Result
		score     int
		wantAlert bool
	}{
		{"first question at threshold", first(2), res(2, 9, false), 2, true},
		{"first question below", first(2), res(1, 9, false), 1, true},
		{"first question above", first(2), res(3, 0, false), 3, false},
		{"no threshold", first(0), res(1, 0, false), 1, false},
		{"marked question", marked, res(1, 6, false), 6, true},
		{"marked question above", marked, res(1, 7, false), 7, false},
		{"marked question skipped", marked, res(1, 0, true), 0, false},
		{"no answers", first(2), Result{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			score, alert := tt.result.AlertScore(tt.survey)
			if score != tt.score || alert != tt.wantAlert {
				t.Errorf("got %v %v, want %v %v", score, alert, tt.score, tt.wantAlert)
			}
		})
	}
}

// The session works on its own copy: editing the survey later (a config
// reload) does not change a survey in progress.
func TestSessionCopiesSurvey(t *testing.T) {
	sv := survey3()
	s := NewSession(sv, sec(0))
	sv.Questions[0].ID = "changed"
	s.Start(sec(0))
	s.Digit(sec(1), '5')
	if got := s.Result().Answers[0].Question; got != "csat" {
		t.Errorf("got %v, want %v", got, "csat")
	}
}
