package agentdb_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/agentdb"
	"github.com/contactd/contactd/internal/store"
	"github.com/contactd/contactd/internal/store/storetest"
)

// open opens the database at dsn (see storetest.DSN).
func open(t *testing.T, dsn string) *agentdb.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return agentdb.New(db)
}

type op struct {
	put    *agentdb.Agent
	delete string
}

func TestPutDeleteList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		alice := agentdb.Agent{ID: "alice", Name: "Alice", Password: "secret1", Skills: map[string]int{"en": 5, "billing": 3}, UpdatedAt: t0}
		alice2 := agentdb.Agent{ID: "alice", Name: "Alice B", Password: "secret2", Skills: map[string]int{"fr": 7}, UpdatedAt: t0.Add(time.Hour)}
		bob := agentdb.Agent{ID: "bob", Name: "Bob", Password: "hunter22", UpdatedAt: t0.Add(123456789)} // nil skills, nanoseconds
		bobStored := bob
		bobStored.Skills, bobStored.UpdatedAt = map[string]int{}, t0.Add(123456000)
		tests := []struct {
			name        string
			ops         []op
			wantAgents  []agentdb.Agent
			wantDeleted []string
		}{
			{"empty", nil, []agentdb.Agent{}, []string{}},
			{"put", []op{{put: &bob}, {put: &alice}}, []agentdb.Agent{alice, bobStored}, []string{}},
			{"put replaces", []op{{put: &alice}, {put: &alice2}}, []agentdb.Agent{alice2}, []string{}},
			{"delete leaves a tombstone", []op{{put: &alice}, {put: &bob}, {delete: "alice"}}, []agentdb.Agent{bobStored}, []string{"alice"}},
			// An agent only in the config file has no row; deleting it must
			// still be remembered.
			{"delete unknown id", []op{{delete: "carol"}}, []agentdb.Agent{}, []string{"carol"}},
			{"delete twice", []op{{delete: "carol"}, {delete: "carol"}}, []agentdb.Agent{}, []string{"carol"}},
			{"put after delete revives", []op{{put: &alice}, {delete: "alice"}, {put: &alice2}}, []agentdb.Agent{alice2}, []string{}},
		}
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := open(t, storetest.DSN(t, backend))
				for _, o := range tt.ops {
					var err error
					if o.put != nil {
						err = d.Put(ctx, *o.put)
					} else {
						err = d.Delete(ctx, o.delete, t0.Add(2*time.Hour))
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				agents, deleted, err := d.List(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(agents, tt.wantAgents) {
					t.Errorf("agents: got %+v, want %+v", agents, tt.wantAgents)
				}
				if !reflect.DeepEqual(deleted, tt.wantDeleted) {
					t.Errorf("deleted: got %v, want %v", deleted, tt.wantDeleted)
				}
			})
		}
	})
}

// Saved agents and tombstones survive a restart, and a tombstone keeps no
// password.
func TestSurvivesReopen(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, backend)
		d := open(t, dsn)
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		for _, a := range []agentdb.Agent{{ID: "alice", Password: "secret1"}, {ID: "bob", Password: "hunter22", Skills: map[string]int{"en": 1}, UpdatedAt: now}} {
			if err := d.Put(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Delete(ctx, "alice", now); err != nil {
			t.Fatal(err)
		}

		db, err := store.Open(ctx, store.Options{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		agents, deleted, err := agentdb.New(db).List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []agentdb.Agent{{ID: "bob", Password: "hunter22", Skills: map[string]int{"en": 1}, UpdatedAt: now}}
		if !reflect.DeepEqual(agents, want) || !reflect.DeepEqual(deleted, []string{"alice"}) {
			t.Errorf("got %+v and deleted %v, want %+v and [alice]", agents, deleted, want)
		}
		var pw string
		if err := db.QueryRowContext(ctx, `SELECT password FROM agents WHERE id = 'alice'`).Scan(&pw); err != nil || pw != "" {
			t.Errorf("got tombstone password %q, %v, want empty", pw, err)
		}
	})
}

func TestEmptyIDRejected(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		d := open(t, storetest.DSN(t, backend))
		if err := d.Put(ctx, agentdb.Agent{Password: "secret1"}); err == nil {
			t.Errorf("Put: got nil error, want one for the empty id")
		}
		if err := d.Delete(ctx, "", time.Now()); err == nil {
			t.Errorf("Delete: got nil error, want one for the empty id")
		}
	})
}
