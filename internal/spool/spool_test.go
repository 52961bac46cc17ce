package spool

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/store/storetest"
	"github.com/contactd/contactd/timeline"
)

// flaky is a store that fails while down is set, and otherwise writes to
// a real call store.
type flaky struct {
	mu   sync.Mutex
	down bool
	real *timeline.Calls
}

var errDown = errors.New("database is down")

func (f *flaky) setDown(d bool) { f.mu.Lock(); f.down = d; f.mu.Unlock() }

func (f *flaky) Start(ctx context.Context, c *timeline.Call) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	return f.real.Start(ctx, c)
}

func (f *flaky) Finish(ctx context.Context, c *timeline.Call) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	return f.real.Finish(ctx, c)
}

func call(id string, t0 time.Time) *timeline.Call {
	return &timeline.Call{ID: id, Caller: "2001", Dialled: "100", StartedAt: t0}
}

// While the database is down calls go on (no error reaches them); when it
// is back every record is there, in its final state; a restart in between
// loses nothing.
func TestSpoolKeepsRecordsThroughAnOutage(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	st := &flaky{real: timeline.NewCalls(db)}
	path := filepath.Join(t.TempDir(), "spool", "calls.jsonl")
	sp, err := New(Options{Path: path, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

	before := call("before", t0)
	if err := sp.Start(ctx, before); err != nil {
		t.Fatal(err)
	}
	st.setDown(true)
	during := call("during", t0.Add(time.Minute))
	for _, step := range []func() error{
		func() error { return sp.Start(ctx, during) },
		func() error {
			before.EndedAt, before.Outcome = t0.Add(2*time.Minute), "self_service"
			return sp.Finish(ctx, before)
		},
		func() error {
			during.EndedAt, during.Outcome = t0.Add(3*time.Minute), "abandoned_in_ivr"
			return sp.Finish(ctx, during)
		},
	} {
		if err := step(); err != nil {
			t.Fatalf("write while the database is down: got %v, want the call to go on", err)
		}
	}
	if got := sp.Pending(); got != 3 {
		t.Fatalf("pending: got %d, want 3", got)
	}

	// contactd restarts while the database is still down.
	sp2, err := New(Options{Path: path, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if got := sp2.Pending(); got != 3 {
		t.Fatalf("pending after a restart: got %d, want 3", got)
	}
	if err := sp2.Flush(ctx); !errors.Is(err, errDown) {
		t.Fatalf("flush while down: got %v, want %v", err, errDown)
	}
	st.setDown(false)
	if err := sp2.Flush(ctx); err != nil {
		t.Fatalf("flush once back: %v", err)
	}
	calls := timeline.NewCalls(db)
	for id, want := range map[string]string{"before": "self_service", "during": "abandoned_in_ivr"} {
		c, err := calls.Get(ctx, id)
		if err != nil || c.Outcome != want {
			t.Errorf("call %s after the outage: got %v %v, want outcome %s", id, c, err, want)
		}
	}
	if got := sp2.Pending(); got != 0 {
		t.Errorf("pending after the flush: got %d, want 0", got)
	}
	if _, err := New(Options{Path: path, Store: st}); err != nil {
		t.Fatal(err)
	}
}
