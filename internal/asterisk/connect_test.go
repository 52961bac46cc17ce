package asterisk_test

import (
	"context"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/asterisk"
	"github.com/contactd/contactd/internal/callflow"
)

// handlerFunc runs calls with a function, for tests that need no flow.
type handlerFunc func(ctx context.Context, leg callflow.Leg)

func (h handlerFunc) Handle(ctx context.Context, leg callflow.Leg) { h(ctx, leg) }

// legs collects the calls a backend hands over; each is answered and
// held until it ends.
type legs chan callflow.Leg

func (l legs) Handle(ctx context.Context, leg callflow.Leg) {
	if err := leg.Answer(ctx); err != nil {
		return
	}
	l <- leg
	select {
	case <-leg.Done():
	case <-ctx.Done():
		leg.Hangup(context.Background())
	}
}

func (l legs) next(t *testing.T) callflow.Leg {
	t.Helper()
	select {
	case leg := <-l:
		return leg
	case <-time.After(5 * time.Second):
		t.Fatal("no call handed over")
		return nil
	}
}

func waitDone(t *testing.T, leg callflow.Leg) {
	t.Helper()
	select {
	case <-leg.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("call %s did not end", leg.ID())
	}
}

// TestReconnect: Asterisk restarts; contactd retries with growing
// waits while it is down, reconnects when it is back, gives up the call
// the restart lost, and takes the next call as before.
func TestReconnect(t *testing.T) {
	f := newFakeARI(t)
	calls := make(legs, 4)
	startBackend(t, f, calls, nil)
	f.waitConnects(1)

	f.call("1712000000.1", "+441234567890", "100")
	lost := calls.next(t)

	f.restart(true)
	f.waitFor("4 refused attempts", func() bool { return len(f.refused) >= 4 })
	f.mu.Lock()
	r := append([]time.Time(nil), f.refused...)
	f.mu.Unlock()
	// Min 20ms doubling, ±20%: the third wait is about four times the first.
	if first, third := r[1].Sub(r[0]), r[3].Sub(r[2]); third < 2*first {
		t.Errorf("backoff: got waits %v then %v, want them to grow", first, third)
	}
	f.setRefuse(false)
	f.waitConnects(2)

	waitDone(t, lost)
	if got, want := lost.EndReason(), asterisk.ReasonLost; got != want {
		t.Errorf("call lost in the restart: got end reason %v, want %v", got, want)
	}

	f.call("1712000100.1", "+441234567891", "100")
	leg := calls.next(t)
	if got, want := leg.ID()+" "+leg.Caller()+" "+leg.Dialled(), "1712000100.1 +441234567891 100"; got != want {
		t.Errorf("call after reconnecting: got %v, want %v", got, want)
	}
	f.farHangup(leg.ID())
	waitDone(t, leg)
	if got, want := leg.EndReason(), asterisk.ReasonCallerHangup; got != want {
		t.Errorf("end reason: got %v, want %v", got, want)
	}
}

// TestLostAfter: calls are given up when Asterisk stays away.
func TestLostAfter(t *testing.T) {
	f := newFakeARI(t)
	calls := make(legs, 1)
	startBackend(t, f, calls, func(o *asterisk.Options) { o.LostAfter = 100 * time.Millisecond })
	f.waitConnects(1)
	f.call("1712000000.2", "+441234567890", "100")
	leg := calls.next(t)
	f.restart(true)
	waitDone(t, leg)
	if got, want := leg.EndReason(), asterisk.ReasonLost; got != want {
		t.Errorf("got end reason %v, want %v", got, want)
	}
}

// TestWrongPassword: a refused login is retried, never fatal, and the
// password is not logged.
func TestWrongPassword(t *testing.T) {
	f := newFakeARI(t)
	lb := &logBuffer{}
	startBackend(t, f, make(legs), func(o *asterisk.Options) {
		o.Password = "wrong-pass"
		o.Logger = slogTo(lb)
	})
	deadline := time.Now().Add(5 * time.Second)
	for !containsAll(lb.String(), "cannot reach Asterisk ARI", "attempt=2") {
		if time.Now().After(deadline) {
			t.Fatalf("got log %s, want retries", lb)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if containsAll(lb.String(), "wrong-pass") {
		t.Errorf("the password is in the log: %s", lb)
	}
}
