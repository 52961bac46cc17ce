package ivr

import (
	"errors"
	"maps"
	"testing"
	"time"
)

// Event constructors: times are seconds after t0.
func start(s float64) Event        { return Started{Now: sec(s)} }
func key(s float64, d byte) Event  { return Digit{Now: sec(s), Digit: d} }
func done(s float64, id int) Event { return PlayDone{Now: sec(s), ID: id} }
func tick(s float64) Event         { return Tick{Now: sec(s)} }
func bye(s float64) Event          { return CallerHangup{Now: sec(s)} }
func answer(s float64, id, status int, body string) Event {
	return LookupResult{Now: sec(s), ID: id, Status: status, Body: []byte(body)}
}

// shift moves an event in time, so that one script can run at any date.
func shift(ev Event, d time.Duration) Event {
	switch e := ev.(type) {
	case Started:
		e.Now = e.Now.Add(d)
		return e
	case PlayDone:
		e.Now = e.Now.Add(d)
		return e
	case Digit:
		e.Now = e.Now.Add(d)
		return e
	case Tick:
		e.Now = e.Now.Add(d)
		return e
	case LookupResult:
		e.Now = e.Now.Add(d)
		return e
	case CallerHangup:
		e.Now = e.Now.Add(d)
		return e
	}
	return ev
}

type step struct {
	ev   Event
	want string // describe() of the actions returned
}

type scenario struct {
	name    string
	menu    string
	at      time.Time // when t0 is for this script; zero means t0
	steps   []step
	outcome string
	path    string
	vars    map[string]string // must be among the final vars
}

func runScenarios(t *testing.T, c *Config, tests []scenario) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d time.Duration
			if !tt.at.IsZero() {
				d = tt.at.Sub(t0)
			}
			s := NewSession(c, tt.menu, map[string]string{"caller": "5551234"})
			for i, st := range tt.steps {
				if got := describe(s.Handle(shift(st.ev, d))); got != st.want {
					t.Errorf("step %d %T%+v: got %q, want %q", i, st.ev, st.ev, got, st.want)
				}
			}
			if got := s.Outcome(); got != tt.outcome {
				t.Errorf("outcome: got %q, want %q", got, tt.outcome)
			}
			if got, want := s.Done(), tt.outcome != ""; got != want {
				t.Errorf("done: got %v, want %v", got, want)
			}
			if got := describePath(s.Path()); got != tt.path {
				t.Errorf("path:\n got %v\nwant %v", got, tt.path)
			}
			vars := s.Vars()
			for k, want := range tt.vars {
				if got, ok := vars[k]; got != want || !ok {
					t.Errorf("var %s: got %q (set %v), want %q", k, got, ok, want)
				}
			}
		})
	}
}

const (
	mainEN = `welcome.wav "For support press 1, for sales 2, for our hours 3, for orders 4."@en`
	mainAR = `ar/welcome.wav "للدعم اضغط ١"@ar`
	greet  = "play#1[" + mainEN + "] barge"
)

func TestSessionMenu(t *testing.T) {
	c := exampleConfig(t)
	runScenarios(t, c, []scenario{{
		name: "digit during the greeting stops it and queues",
		menu: "main",
		steps: []step{
			{start(0), greet},
			{key(2, '1'), "stop; enqueue support/2"},
			{key(3, '2'), ""},
		},
		outcome: OutcomeQueued,
		path:    "main:enter main:digit=1 main:queue=support",
	}, {
		name: "digit after the greeting",
		menu: "main",
		steps: []step{
			{start(0), greet},
			{done(8, 1), ""},
			{key(10, '2'), "enqueue sales/5"},
		},
		outcome: OutcomeQueued,
		path:    "main:enter main:digit=2 main:queue=sales",
	}, {
		name: "play then return re-enters; action prompts ignore digits; stale PlayDone ignored",
		menu: "main",
		steps: []step{
			{start(0), greet},
			{key(1, '3'), "stop; play#2[hours.wav]"},
			{key(2, '1'), ""},
			{done(3, 1), ""},
			{done(5, 2), "play#3[" + mainEN + "] barge"},
			{done(5, 2), ""},
			{key(6, '1'), "stop; enqueue support/2"},
		},
		outcome: OutcomeQueued,
		path:    "main:enter main:digit=3 main:enter main:digit=1 main:queue=support",
	}, {
		name: "timeout and invalid re-prompt, then the fallback",
		menu: "main",
		steps: []step{
			{start(0), greet},
			{done(8, 1), ""},
			{tick(12.9), ""},
			{tick(13), "play#2[noinput.wav " + mainEN + "] barge"},
			{key(14, '7'), "stop; play#3[invalid.wav " + mainEN + "] barge"},
			{done(20, 3), ""},
			{tick(25), "play#4[sorry.wav]"},
			{key(26, '1'), ""},
			{done(28, 4), "hangup"},
			{key(29, '1'), ""},
		},
		outcome: OutcomeNoInput,
		path:    "main:enter main:no_input main:digit=7 main:invalid=7 main:no_input main:fallback=no_input main:hangup",
	}, {
		name: "return resets the retries",
		menu: "main",
		steps: []step{
			{start(0), greet},
			{key(1, '7'), "stop; play#2[invalid.wav " + mainEN + "] barge"},
			{key(2, '7'), "stop; play#3[invalid.wav " + mainEN + "] barge"},
			{key(3, '*'), "stop; play#4[" + mainEN + "] barge"},
			{key(4, '7'), "stop; play#5[invalid.wav " + mainEN + "] barge"},
			{key(5, '7'), "stop; play#6[invalid.wav " + mainEN + "] barge"},
			{key(6, '7'), "stop; play#7[sorry.wav]"},
		},
		path: "main:enter main:digit=7 main:invalid=7 main:digit=7 main:invalid=7 main:digit=* main:enter " +
			"main:digit=7 main:invalid=7 main:digit=7 main:invalid=7 main:digit=7 main:invalid=7 main:fallback=invalid",
	}, {
		name:    "plain hangup",
		menu:    "main",
		steps:   []step{{start(0), greet}, {key(1, '0'), "stop; hangup"}},
		outcome: OutcomeHangup,
		path:    "main:enter main:digit=0 main:hangup",
	}, {
		name:    "play then hangup is self-service",
		menu:    "main",
		steps:   []step{{start(0), greet}, {key(1, '9'), "stop; play#2[bye.wav]"}, {done(4, 2), "hangup"}},
		outcome: OutcomeSelfService,
		path:    "main:enter main:digit=9 main:hangup",
	}, {
		name:    "outcome override",
		menu:    "main",
		steps:   []step{{start(0), greet}, {key(1, '#'), "stop; hangup"}},
		outcome: "caller_declined",
		path:    "main:enter main:digit=# main:hangup",
	}, {
		name: "language choice switches variants, voice and directory",
		menu: "main",
		steps: []step{
			{start(0), greet},
			{key(1, '8'), "stop; play#2[" + mainAR + "] barge"},
			{key(2, '3'), "stop; play#3[ar/hours-ar.wav]"},
			{done(4, 3), "play#4[" + mainAR + "] barge"},
			{key(5, '4'), `stop; play#5["Please type your order number, then press hash."@ar] barge`},
			{bye(6), ""},
		},
		outcome: OutcomeAbandoned,
		path:    "main:enter main:digit=8 main:language=ar main:enter main:digit=3 main:enter main:digit=4 orders:enter orders:caller_hangup",
		vars:    map[string]string{"language": "ar", "caller": "5551234"},
	}, {
		name: "caller hangup ends the session",
		menu: "main",
		steps: []step{
			{start(0), greet},
			{bye(1), ""},
			{key(2, '1'), ""},
			{done(3, 1), ""},
		},
		outcome: OutcomeAbandoned,
		path:    "main:enter main:caller_hangup",
	}, {
		name: "events before Started and bad digits are ignored",
		menu: "main",
		steps: []step{
			{key(0, '1'), ""},
			{tick(0), ""},
			{start(0), greet},
			{start(0), ""},
			{key(1, 'A'), ""},
			{key(2, '2'), "stop; enqueue sales/5"},
		},
		outcome: OutcomeQueued,
		path:    "main:enter main:digit=2 main:queue=sales",
	}})
}

func TestSessionBusinessHours(t *testing.T) {
	c := exampleConfig(t)
	utc := func(s string) time.Time {
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	runScenarios(t, c, []scenario{{
		name:    "closed in the evening",
		menu:    "main",
		at:      utc("2026-03-02 18:00:00"),
		steps:   []step{{start(0), "play#1[closed.wav]"}, {key(1, '1'), ""}, {done(3, 1), "hangup"}},
		outcome: OutcomeAfterHours,
		path:    "main:enter main:after_hours=closed main:hangup",
	}, {
		name:    "holiday",
		menu:    "main",
		at:      utc("2026-12-25 12:00:00"),
		steps:   []step{{start(0), "play#1[closed.wav]"}, {done(3, 1), "hangup"}},
		outcome: OutcomeAfterHours,
		path:    "main:enter main:after_hours=holiday main:hangup",
	}, {
		name:  "08:30 UTC is 09:30 in London after the clocks go forward",
		menu:  "main",
		at:    utc("2026-03-30 08:30:00"),
		steps: []step{{start(0), greet}},
		path:  "main:enter",
	}, {
		name:  "08:30 UTC is 08:30 in London after the clocks go back",
		menu:  "main",
		at:    utc("2026-10-26 08:30:00"),
		steps: []step{{start(0), "play#1[closed.wav]"}},
		path:  "main:enter main:after_hours=closed",
	}, {
		name:  "23:59 on christmas eve in New York is open",
		menu:  "account",
		at:    utc("2026-12-25 04:59:00"),
		steps: []step{{start(0), "play#1[account.wav]"}},
		path:  "account:enter",
	}, {
		name:    "midnight in New York is christmas: after_hours goes to a menu that is closed too",
		menu:    "account",
		at:      utc("2026-12-25 05:00:00"),
		steps:   []step{{start(0), "play#1[closed.wav]"}, {done(2, 1), "hangup"}},
		outcome: OutcomeAfterHours,
		path:    "account:enter account:after_hours=holiday main:enter main:after_hours=holiday main:hangup",
	}, {
		name: "re-entering at closing time runs after_hours",
		menu: "main",
		at:   utc("2026-03-02 17:29:50"),
		steps: []step{
			{start(0), greet},
			{key(5, '3'), "stop; play#2[hours.wav]"},
			{done(15, 2), "play#3[closed.wav]"},
			{done(16, 3), "hangup"},
		},
		outcome: OutcomeAfterHours,
		path:    "main:enter main:digit=3 main:enter main:after_hours=closed main:hangup",
	}})
}

const ordersGreeting = `"Please type your order number, then press hash."@en`

func TestSessionInput(t *testing.T) {
	c := exampleConfig(t)
	const lookup = "lookup#2 http://127.0.0.1:9000/orders 3s"
	runScenarios(t, c, []scenario{{
		name: "terminator ends input; digits during the greeting count; lookup spoken and branched",
		menu: "orders",
		steps: []step{
			{start(0), "play#1[" + ordersGreeting + "] barge"},
			{key(1, '1'), "stop"},
			{key(2, '2'), ""},
			{key(3, '3'), ""},
			{key(4, '#'), lookup},
			{answer(5, 2, 200, `{"status":"shipped","eta":3,"items":[1],"gift":false,"note":null,"language":"fr"}`),
				`play#3["Your order 123 is shipped."@en]`},
			{key(6, '1'), ""},
			{done(7, 3), "play#4[" + mainEN + "] barge"},
			{bye(8), ""},
		},
		outcome: OutcomeAbandoned,
		path:    "orders:enter orders:input=123 orders:lookup=shipped main:enter main:caller_hangup",
		vars:    map[string]string{"order": "123", "status": "shipped", "eta": "3", "gift": "false", "note": "", "language": "en"},
	}, {
		name: "max digits ends input; a case enqueues",
		menu: "orders",
		steps: []step{
			{start(0), "play#1[" + ordersGreeting + "] barge"},
			{key(1, '9'), "stop"},
			{key(1, '8'), ""}, {key(1, '7'), ""}, {key(1, '6'), ""}, {key(1, '5'), ""},
			{key(1, '4'), ""}, {key(1, '3'), ""}, {key(1, '2'), ""}, {key(1, '1'), ""},
			{key(1, '0'), lookup},
			{answer(2, 2, 200, `{"status":"lost"}`), `play#3["Your order 9876543210 is lost."@en]`},
			{done(4, 3), "enqueue support/1"},
		},
		outcome: OutcomeQueued,
		path:    "orders:enter orders:input=9876543210 orders:lookup=lost orders:queue=support",
		vars:    map[string]string{"order": "9876543210", "status": "lost"},
	}, {
		name: "inter-digit timeout ends input; no case matches so then runs",
		menu: "orders",
		steps: []step{
			{start(0), "play#1[" + ordersGreeting + "] barge"},
			{done(5, 1), ""},
			{key(6, '4'), ""}, {key(7, '5'), ""}, {key(8, '6'), ""},
			{tick(9.9), ""},
			{tick(10), lookup},
			{answer(11, 2, 200, `{"status":"pending"}`), `play#3["Your order 456 is pending."@en]`},
			{done(12, 3), "play#4[" + mainEN + "] barge"},
		},
		path: "orders:enter orders:input=456 orders:lookup=pending main:enter",
		vars: map[string]string{"order": "456"},
	}, {
		name: "too few digits is invalid; retries exhausted runs the fallback with its outcome",
		menu: "orders",
		steps: []step{
			{start(0), "play#1[" + ordersGreeting + "] barge"},
			{key(1, '1'), "stop"},
			{key(2, '2'), ""},
			{tick(4), `play#2["That is not an order number."@en ` + ordersGreeting + "] barge"},
			{key(5, '#'), "stop; enqueue support/5"},
		},
		outcome: "no_order_number",
		path:    "orders:enter orders:invalid=12 orders:invalid orders:fallback=invalid orders:queue=support",
	}, {
		name: "no input replays the greeting",
		menu: "orders",
		steps: []step{
			{start(0), "play#1[" + ordersGreeting + "] barge"},
			{done(3, 1), ""},
			{tick(8.9), ""},
			{tick(9), "play#2[" + ordersGreeting + "] barge"},
		},
		path: "orders:enter orders:no_input",
	}, {
		name: "non-barge-in greeting ignores digits; * terminates; branch on a boolean",
		menu: "account",
		steps: []step{
			{start(0), "play#1[account.wav]"},
			{key(1, '5'), ""},
			{done(3, 1), ""},
			{key(4, '1'), ""},
			{key(5, '2'), ""},
			{key(6, '*'), "lookup#2 https://crm.example.com/lookup 3s"},
			{answer(7, 2, 200, `{"vip": true}`), "enqueue vip/0"},
		},
		outcome: OutcomeQueued,
		path:    "account:enter account:input=12 account:lookup=true account:queue=vip",
		vars:    map[string]string{"account": "12", "vip": "true"},
	}, {
		name: "lookup without then re-enters when there is no previous menu",
		menu: "account",
		steps: []step{
			{start(0), "play#1[account.wav]"},
			{done(3, 1), ""},
			{key(4, '1'), ""},
			{key(6, '*'), "lookup#2 https://crm.example.com/lookup 3s"},
			{answer(7, 2, 200, `{"vip": false}`), "play#3[account.wav]"},
		},
		path: "account:enter account:input=1 account:lookup=false account:enter",
	}, {
		name: "the other symbol key is invalid input",
		menu: "account",
		steps: []step{
			{start(0), "play#1[account.wav]"},
			{done(3, 1), ""},
			{key(4, '1'), ""},
			{key(5, '#'), "play#2[account.wav]"},
		},
		path: "account:enter account:invalid=1#",
	}})
}

func TestSessionLookupErrors(t *testing.T) {
	c := exampleConfig(t)
	prefix := []step{
		{start(0), "play#1[" + ordersGreeting + "] barge"},
		{key(1, '1'), "stop"}, {key(2, '2'), ""}, {key(3, '3'), ""},
		{key(4, '#'), "lookup#2 http://127.0.0.1:9000/orders 3s"},
	}
	tests := []struct {
		name   string
		result Event
		why    string
	}{
		{"transport error", LookupResult{Now: sec(5), ID: 2, Err: errors.New("connection refused")}, "error"},
		{"server error", answer(5, 2, 500, `{"status":"shipped"}`), "status 500"},
		{"no status", answer(5, 2, 0, `{}`), "status 0"},
		{"not JSON", answer(5, 2, 200, `shipped`), "invalid JSON"},
		{"JSON array", answer(5, 2, 200, `["shipped"]`), "invalid JSON"},
		{"JSON null", answer(5, 2, 200, `null`), "invalid JSON"},
		{"trailing data", answer(5, 2, 200, `{"status":"shipped"} x`), "invalid JSON"},
	}
	var scenarios []scenario
	for _, tt := range tests {
		steps := append(append([]step(nil), prefix...),
			step{tt.result, "play#3[lookup_failed.wav]"},
			step{done(6, 3), "enqueue support/5"})
		scenarios = append(scenarios, scenario{
			name:    tt.name,
			menu:    "orders",
			steps:   steps,
			outcome: OutcomeQueued,
			path:    "orders:enter orders:input=123 orders:lookup_error=" + tt.why + " orders:queue=support",
		})
	}
	scenarios = append(scenarios, scenario{
		name: "timeout by deadline; the late and stale answers are ignored",
		menu: "orders",
		steps: append(append([]step(nil), prefix...),
			step{answer(5, 99, 200, `{"status":"shipped"}`), ""},
			step{tick(6.9), ""},
			step{tick(7), "play#3[lookup_failed.wav]"},
			step{answer(8, 2, 200, `{"status":"shipped"}`), ""},
			step{done(9, 3), "enqueue support/5"}),
		outcome: OutcomeQueued,
		path:    "orders:enter orders:input=123 orders:lookup_error=timeout orders:queue=support",
	})
	runScenarios(t, c, scenarios)
}

func TestSessionPreviousMenu(t *testing.T) {
	c := mustConfig(t, `
routes: [{number: "*", menu: top}]
menus:
  top:
    greeting: top.wav
    options: {"1": {menu: ask}}
  ask:
    input:
      var: n
      then:
        lookup:
          url: http://127.0.0.1:9/x
          say: {text: "Balance {{balance}}"}
          on_error: {play: sorry.wav, then: hangup}
`)
	runScenarios(t, c, []scenario{{
		name: "lookup without then returns to the menu before",
		menu: "top",
		steps: []step{
			{start(0), "play#1[top.wav] barge"},
			{key(1, '1'), "stop"},
			{key(2, '4'), ""},
			{key(3, '#'), "lookup#2 http://127.0.0.1:9/x 3s"},
			{answer(4, 2, 200, `{"balance": 12.50}`), `play#3["Balance 12.50"@]`},
			{done(6, 3), "play#4[top.wav] barge"},
		},
		path: "top:enter top:digit=1 ask:enter ask:input=4 ask:lookup top:enter",
		vars: map[string]string{"n": "4", "balance": "12.50", "language": ""},
	}})
}

func TestSessionLookupOutcomes(t *testing.T) {
	c := mustConfig(t, `
routes: [{number: "*", menu: m}]
menus:
  m:
    options:
      "1": {lookup: {url: "http://h/x", say: {text: "Hi {{name}}"}, then: hangup, on_error: {play: sorry.wav, then: hangup}}}
      "2": {lookup: {url: "http://h/x", timeout: 1500ms, then: hangup}}
`)
	runScenarios(t, c, []scenario{{
		name: "spoken lookup then hangup is self-service",
		menu: "m",
		steps: []step{
			{start(0), ""},
			{key(1, '1'), "lookup#1 http://h/x 3s"},
			{answer(2, 1, 201, `{"name":"Sam"}`), `play#2["Hi Sam"@]`},
			{done(3, 2), "hangup"},
		},
		outcome: OutcomeSelfService,
		path:    "m:enter m:digit=1 m:lookup m:hangup",
	}, {
		name: "a failed lookup that plays and hangs up is not self-service",
		menu: "m",
		steps: []step{
			{start(0), ""},
			{key(1, '1'), "lookup#1 http://h/x 3s"},
			{answer(2, 1, 404, ``), "play#2[sorry.wav]"},
			{done(3, 2), "hangup"},
		},
		outcome: OutcomeHangup,
		path:    "m:enter m:digit=1 m:lookup_error=status 404 m:hangup",
	}, {
		name: "a silent lookup then hangup is a plain hangup",
		menu: "m",
		steps: []step{
			{start(0), ""},
			{key(1, '2'), "lookup#1 http://h/x 1.5s"},
			{answer(2, 1, 200, `{}`), "hangup"},
		},
		outcome: OutcomeHangup,
		path:    "m:enter m:digit=2 m:lookup m:hangup",
	}})
}

func TestSessionDeadline(t *testing.T) {
	c := exampleConfig(t)
	none := time.Time{}
	tests := []struct {
		name  string
		menu  string
		steps []Event
		want  []time.Time // Deadline() after each event; zero means none
	}{
		{"first-digit timeout counts from the greeting's end", "main",
			[]Event{start(0), done(8, 1), tick(12), key(12.5, '7'), done(20, 2)},
			[]time.Time{none, sec(13), sec(13), none, sec(25)}},
		{"inter-digit timeout restarts on each digit", "orders",
			[]Event{start(0), key(1, '1'), key(1.5, '2'), done(2, 1), tick(3)},
			[]time.Time{none, sec(3), sec(3.5), sec(3.5), sec(3.5)}},
		{"lookup deadline; none while its answer is spoken", "orders",
			[]Event{start(0), key(1, '1'), key(2, '2'), key(3, '3'), key(4, '#'), answer(5, 2, 200, `{"status":"x"}`)},
			[]time.Time{none, sec(3), sec(4), sec(5), sec(7), none}},
		{"none once done", "main",
			[]Event{start(0), done(8, 1), bye(9)},
			[]time.Time{none, sec(13), none}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSession(c, tt.menu, nil)
			for i, ev := range tt.steps {
				s.Handle(ev)
				got, ok := s.Deadline()
				if want := tt.want[i]; ok != !want.IsZero() || !got.Equal(want) {
					t.Errorf("after event %d %T: got %v %v, want %v", i, ev, got, ok, want)
				}
			}
		})
	}
}

func TestLookupPostsVars(t *testing.T) {
	c := exampleConfig(t)
	s := NewSession(c, "orders", map[string]string{"caller": "5551234", "dialled": "200"})
	for _, ev := range []Event{start(0), key(1, '4'), key(2, '2'), key(2, '0')} {
		s.Handle(ev)
	}
	acts := s.Handle(key(3, '#'))
	if len(acts) != 1 {
		t.Fatalf("got %v, want one Lookup", describe(acts))
	}
	l, ok := acts[0].(Lookup)
	if !ok {
		t.Fatalf("got %T, want Lookup", acts[0])
	}
	want := map[string]string{"caller": "5551234", "dialled": "200", "language": "en", "order": "420"}
	if !maps.Equal(l.Vars, want) {
		t.Errorf("posted vars: got %v, want %v", l.Vars, want)
	}
	if l.Timeout != 3*time.Second || l.URL != "http://127.0.0.1:9000/orders" {
		t.Errorf("lookup: got %s %v, want http://127.0.0.1:9000/orders 3s", l.URL, l.Timeout)
	}
	l.Vars["order"] = "changed"
	if got := s.Vars()["order"]; got != "420" {
		t.Errorf("session var after the driver changed its copy: got %q, want 420", got)
	}
}

func TestNewSessionLanguage(t *testing.T) {
	c := exampleConfig(t)
	tests := []struct {
		vars map[string]string
		want string
	}{
		{nil, "en"},
		{map[string]string{"language": "ar"}, "ar"},
		{map[string]string{"language": "fr"}, "en"},
	}
	for _, tt := range tests {
		s := NewSession(c, "main", tt.vars)
		if got := s.Language(); got != tt.want {
			t.Errorf("vars %v: got language %q, want %q", tt.vars, got, tt.want)
		}
		if got := s.Vars()["language"]; got != tt.want {
			t.Errorf("vars %v: got language var %q, want %q", tt.vars, got, tt.want)
		}
	}
}

// Validation rejects these configs; the session must still not spin.
func TestSessionRuntimeGuards(t *testing.T) {
	c, errs := decodeString(t, `
routes: [{number: "*", menu: a}]
menus:
  a:
    holidays: ["2026-03-02"]
    after_hours: {menu: b}
    options: {"1": hangup}
  b:
    holidays: ["2026-03-02"]
    after_hours: {menu: a, outcome: closed_loop}
    options: {"1": hangup}
`)
	if len(errs) > 0 {
		t.Fatalf("decode: %v", errs)
	}
	if len(c.Validate(knownQueues, nil)) == 0 {
		t.Errorf("validate: got no problems, want the after_hours loop rejected")
	}
	s := NewSession(c, "a", nil)
	if got, want := describe(s.Handle(start(0))), "hangup"; got != want {
		t.Errorf("looping menus: got %q, want %q", got, want)
	}
	path := s.Path()
	if got, want := len(path), 2*maxEntries+1; got != want {
		t.Errorf("path length: got %v, want %v", got, want)
	}
	if last := path[len(path)-1]; last.Kind != StepHangup || last.Value != "loop" {
		t.Errorf("last step: got %+v, want hangup=loop", last)
	}
	if got := s.Outcome(); got != OutcomeHangup {
		t.Errorf("outcome: got %q, want %q", got, OutcomeHangup)
	}

	s = NewSession(c, "nope", nil)
	if got, want := describe(s.Handle(start(0))), "hangup"; got != want {
		t.Errorf("unknown menu: got %q, want %q", got, want)
	}
	if got := describePath(s.Path()); got != ":hangup=unknown menu nope" {
		t.Errorf("unknown menu path: got %q, want %q", got, ":hangup=unknown menu nope")
	}
}
