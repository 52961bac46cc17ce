package config

import "github.com/contactd/contactd/internal/store"

// EnvDatabaseDSN names the environment variable that overrides
// database.dsn, so a password need not be written in the config file.
const EnvDatabaseDSN = "CONTACTD_DATABASE_DSN"

// Database says which database contactd keeps its records in.
type Database struct {
	// DSN is a postgres:// (or postgresql://) URL, or a SQLite file path;
	// empty means contactd.db under data_dir.
	DSN string `yaml:"dsn"`
}

// checkDatabase validates database.dsn. The problem never quotes the DSN,
// which may hold a password.
func (c *Config) checkDatabase(add func(line int, field, problem string), line func(path ...string) int) {
	if err := store.CheckDSN(c.Database.DSN); err != nil {
		add(line("database", "dsn"), "database.dsn", err.Error())
	}
}
