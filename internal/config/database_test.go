package config_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/contactd/contactd/internal/config"
)

func TestDatabaseDSN(t *testing.T) {
	tests := []struct {
		dsn  string
		want string // "" for valid, else the whole problem
	}{
		{`""`, ""},
		{"/var/lib/contactd/contactd.db", ""},
		{"postgres://contactd:s3cret@db.example:5432/contactd?sslmode=require", ""},
		{"postgresql://db.example/contactd", ""},
		{"mysql://contactd:s3cret@db.example/contactd", `c.yaml:2: database.dsn: unsupported scheme "mysql": want a postgres:// URL or a SQLite file path`},
		{"postgres:///contactd", "c.yaml:2: database.dsn: postgres:// URL names no host"},
		{`"host=db.example dbname=contactd password=s3cret"`, "c.yaml:2: database.dsn: PostgreSQL key=value DSNs are not supported: use a postgres:// URL"},
	}
	for _, tt := range tests {
		c, err := config.Parse([]byte("database:\n  dsn: "+tt.dsn+"\n"+menus), "c.yaml", fstest.MapFS{}, nil)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("dsn %s: got %v, want %v", tt.dsn, got, tt.want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("dsn %s: got %q, want no password in the problem", tt.dsn, got)
		}
		if err == nil && c.Database.DSN != strings.Trim(tt.dsn, `"`) {
			t.Errorf("dsn %s: got %q, want it kept", tt.dsn, c.Database.DSN)
		}
	}
}
