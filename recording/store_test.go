package recording

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/store/storetest"
)

func openStore(t *testing.T, backend string) *Store {
	t.Helper()
	return NewStore(storetest.Open(t, backend))
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestStoreRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openStore(t, backend)
		rec := &Recording{ID: "c1", CallID: "c1", Queue: "support", Agent: "alice", Customer: "+441234",
			Path: "2026/11/22/c1.wav", StartedAt: t0}
		if err := s.Start(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx, &Recording{ID: "c1-r1", CallID: "c1", Path: "2026/11/22/c1-r1.wav", StartedAt: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx, &Recording{ID: "c1", CallID: "c1", Path: "x.wav", StartedAt: t0}); err == nil {
			t.Error("got nil error starting a recording id twice, want one")
		}

		got, err := s.Get(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, rec) || got.Status != StatusRecording {
			t.Errorf("got %+v, want %+v", got, rec)
		}
		pending, err := s.Pending(ctx)
		if err != nil || len(pending) != 2 || pending[0].ID != "c1" || pending[1].ID != "c1-r1" {
			t.Errorf("got %v, %v, want c1 and c1-r1 pending", pending, err)
		}

		info := Info{Duration: 83*time.Second + 420*time.Millisecond, Bytes: 2669484, PausedFor: 12 * time.Second}
		ended := t0.Add(84 * time.Second)
		if err := s.Finish(ctx, "c1", info, ended); err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(ctx, "c1", info, ended); err == nil {
			t.Error("got nil error finishing a complete recording, want one")
		}
		want := *rec
		want.Status, want.EndedAt, want.Duration, want.Bytes, want.PausedFor = StatusComplete, ended, info.Duration, info.Bytes, info.PausedFor
		if got, err := s.Get(ctx, "c1"); err != nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("got %+v, %v, want %+v", got, err, want)
		}
		if err := s.Interrupt(ctx, "c1-r1", Info{}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}

		all, err := s.ForCall(ctx, "c1")
		if err != nil || len(all) != 2 || all[0].Status != StatusComplete || all[1].Status != StatusInterrupted {
			t.Errorf("got %v, %v, want c1 complete then c1-r1 interrupted", all, err)
		}
		if none, err := s.ForCall(ctx, "c2"); err != nil || len(none) != 0 {
			t.Errorf("got %v, %v, want none", none, err)
		}
		if pending, err := s.Pending(ctx); err != nil || len(pending) != 0 {
			t.Errorf("got %v, %v, want none pending", pending, err)
		}
		expired, err := s.Expired(ctx, t0.Add(80*time.Second))
		if err != nil || len(expired) != 1 || expired[0].ID != "c1-r1" {
			t.Errorf("got %v, %v, want c1-r1 expired", expired, err)
		}
		if err := s.MarkDeleted(ctx, "c1-r1"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, "c1-r1"); err != nil || got.Status != StatusDeleted {
			t.Errorf("got %+v, %v, want deleted", got, err)
		}

		for _, err := range []error{
			func() error { _, err := s.Get(ctx, "nope"); return err }(),
			s.Finish(ctx, "nope", info, ended),
			s.MarkDeleted(ctx, "nope"),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("got %v, want ErrNotFound", err)
			}
		}
	})
}
