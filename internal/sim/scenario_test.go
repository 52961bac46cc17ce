package sim

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadScenario(t *testing.T, name string) *Scenario {
	t.Helper()
	sc, err := Load(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// runSmall runs a scenario over fewer days than its file says, to keep
// the test short, and logs the table.
func runSmall(t *testing.T, sc *Scenario, days int) *Report {
	t.Helper()
	sc.Duration = time.Duration(days) * day
	rep, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
	return rep
}

func byName(t *testing.T, rep *Report, name string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.Strategy == name {
			return r
		}
	}
	t.Fatalf("no result for strategy %q", name)
	return Result{}
}

// The multi-skill centre: skill-sparing with oldest-first across queues
// should answer sooner and lose fewer callers than ring-all and than plain
// longest-idle (with either order across queues). The margins are small
// (see docs/performance.md); the assertion is on direction only.
func TestMultiSkillStrategies(t *testing.T) {
	rep := runSmall(t, loadScenario(t, "multiskill.yaml"), 2)
	ss := byName(t, rep, "skill-sparing").Total
	for _, other := range []string{"ring-all", "longest-idle", "longest-idle/queue-order"} {
		o := byName(t, rep, other).Total
		if ss.ASAS >= o.ASAS {
			t.Errorf("ASA: skill-sparing got %.2fs, want below %s's %.2fs", ss.ASAS, other, o.ASAS)
		}
		if ss.AbandonedPct >= o.AbandonedPct {
			t.Errorf("abandoned: skill-sparing got %.2f%%, want below %s's %.2f%%", ss.AbandonedPct, other, o.AbandonedPct)
		}
	}
}

// The wait-estimate scenario. The engine knows each agent's state and
// each caller's position, so its estimate should beat a queue-wide
// average (app_queue's) overall and in every position bucket.
func TestWaitEstimateScenario(t *testing.T) {
	rep := runSmall(t, loadScenario(t, "ewt.yaml"), 2)
	res := rep.Results[0]
	if res.EWT.Samples < 500 {
		t.Fatalf("only %d calls with estimates, want at least 500", res.EWT.Samples)
	}
	if res.EWT.MAES >= res.AppQueue.MAES {
		t.Errorf("MAE: engine got %.1fs, want below app_queue's %.1fs", res.EWT.MAES, res.AppQueue.MAES)
	}
	for i := range res.EWT.ByPosition {
		if e, a := res.EWT.ByPosition[i], res.AppQueue.ByPosition[i]; e.MAES >= a.MAES {
			t.Errorf("position bucket %d MAE: engine got %.1fs, want below app_queue's %.1fs", i, e.MAES, a.MAES)
		}
	}
	t.Logf("all positions: engine MAE %.1fs bias %+.1fs, app_queue MAE %.1fs bias %+.1fs", res.EWT.MAES, res.EWT.BiasS, res.AppQueue.MAES, res.AppQueue.BiasS)
}

// With constant handle times and no ringing delay the engine's model of
// when agents free up is exact, so its estimates must be too: this pins
// down the simulator's bookkeeping of estimates and waits.
func TestEWTExactWithConstantHandleTimes(t *testing.T) {
	sc := theoryCase{name: "constant", n: 10, rho: 0.9}.scenario(5000)
	sc.Queues[0].Handle = Dist{Kind: Constant, Mean: theoryHandle}
	rep, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := rep.Results[0].EWT
	if e.Samples < 1000 || e.MAES > 1e-6 || e.P90S > 1e-6 {
		t.Errorf("got %d samples, MAE %vs, p90 %vs; want over 1000 samples and no error", e.Samples, e.MAES, e.P90S)
	}
	if a := rep.Results[0].AppQueue; a.MAES < 1 {
		t.Errorf("app_queue baseline MAE %vs: want a real error (over 1s) to compare with", a.MAES)
	}
}

func TestRunUnknownStrategy(t *testing.T) {
	sc := loadScenario(t, "ewt.yaml")
	_, err := Run(sc, Options{Strategies: []string{"nope"}})
	if !errors.Is(err, ErrUnknownStrategy) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("got %v, want ErrUnknownStrategy naming it", err)
	}
}

// Max wait, overflow and wrap-up run on the engine's timers (Deadline and
// Tick); a centre with one agent all day and no shifts has no other
// events to carry them, so this checks the loop honours them by itself.
func TestEngineTimersDriveTheRun(t *testing.T) {
	sc, err := Parse([]byte(`
name: timers
seed: 2
duration: 2h
queues:
  - name: q
    wrap_up: 30s
    max_wait: 1m
    max_wait_queue: spill
    arrivals: [{per_hour: 60}]
    handle: {dist: exponential, mean: 2m}
  - name: spill
    max_wait: 2m
    arrivals: [{per_hour: 0}]
    handle: {dist: constant, mean: 1m}
agents:
  - {name: a, count: 1, skills: {q: 1}}
`), "timers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := rep.Results[0].Queues[0]
	if q.Exited == 0 || q.Unfinished != 0 || q.Answered+q.Exited != q.Offered {
		t.Errorf("got %+v, want some calls to leave at max wait (via spill, which nobody serves) and none unfinished", q)
	}
}
