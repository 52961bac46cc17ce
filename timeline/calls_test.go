package timeline_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/store"
	"github.com/contactd/contactd/internal/store/storetest"
	"github.com/contactd/contactd/timeline"
)

// openCalls opens the database at dsn (see storetest.DSN); opening one
// twice is a restart.
func openCalls(t *testing.T, dsn string) *timeline.Calls {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return timeline.NewCalls(db)
}

// openDB is a fresh migrated database, for tests that look at columns.
func openDB(t *testing.T, backend string) *sql.DB {
	t.Helper()
	return storetest.Open(t, backend)
}

func TestCallRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openCalls(t, storetest.DSN(t, backend))
		t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		c := &timeline.Call{ID: "c1", Caller: "+441234", Dialled: "100", StartedAt: t0, Transport: "udp"}
		if err := s.Start(ctx, c); err != nil {
			t.Fatal(err)
		}
		c.Menu = "main"
		c.AnsweredAt = t0.Add(time.Second)
		c.EndedAt = t0.Add(9 * time.Second)
		c.Outcome = "queued"
		c.Queue = "support"
		c.Vars = map[string]string{"account": "42"}
		c.Path = []timeline.Step{{At: t0.Add(time.Second), Menu: "main", Kind: "enter"}, {At: t0.Add(4 * time.Second), Menu: "main", Kind: "digit", Value: "1"}}
		if err := s.Finish(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Outcome != "queued" || got.Queue != "support" || got.Vars["account"] != "42" || !got.EndedAt.Equal(c.EndedAt) {
			t.Errorf("got %+v, want the finished record", got)
		}
		if len(got.Path) != 2 || got.Path[1].Value != "1" || got.Path[1].Kind != "digit" {
			t.Errorf("got path %+v, want enter then digit 1", got.Path)
		}
		if _, err := s.Get(ctx, "nope"); !errors.Is(err, timeline.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
}

func TestListNewestFirstAndLimit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openCalls(t, storetest.DSN(t, backend))
		t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		for i, id := range []string{"a", "b", "c"} {
			caller := "111"
			if id == "b" {
				caller = "222"
			}
			if err := s.Start(ctx, &timeline.Call{ID: id, Caller: caller, Dialled: "1", StartedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			q    timeline.Query
			want []string
		}{
			{timeline.Query{}, []string{"c", "b", "a"}},
			{timeline.Query{Limit: 2}, []string{"c", "b"}},
			{timeline.Query{Caller: "111"}, []string{"c", "a"}},
		}
		for _, tt := range tests {
			calls, err := s.List(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range calls {
				got = append(got, c.ID)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("query %+v: got %v, want %v", tt.q, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("query %+v: got %v, want %v", tt.q, got, tt.want)
					break
				}
			}
		}
	})
}

// A call still open when contactd stopped is closed as interrupted on the
// next start; finished calls are untouched.
func TestCloseInterruptedKeepsFinishedCalls(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, backend)
		s := openCalls(t, dsn)
		t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		done := &timeline.Call{ID: "done", Caller: "1", Dialled: "2", StartedAt: t0}
		s.Start(ctx, done)
		done.EndedAt, done.Outcome = t0.Add(time.Minute), "self_service"
		if err := s.Finish(ctx, done); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx, &timeline.Call{ID: "open", Caller: "1", Dialled: "2", StartedAt: t0}); err != nil {
			t.Fatal(err)
		}
		// Reopen the same database, as a restarted contactd would.
		s2 := openCalls(t, dsn)
		n, err := s2.CloseInterrupted(ctx, t0.Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("got %d, %v; want 1 call closed", n, err)
		}
		got, _ := s2.Get(ctx, "open")
		if got.Outcome != timeline.OutcomeInterrupted {
			t.Errorf("got outcome %q, want %q", got.Outcome, timeline.OutcomeInterrupted)
		}
		got, _ = s2.Get(ctx, "done")
		if got.Outcome != "self_service" {
			t.Errorf("got outcome %q, want self_service kept", got.Outcome)
		}
	})
}
