// Package dbtime converts times to and from the store's columns: integer
// Unix microseconds in UTC, so SQLite and PostgreSQL store and compare them
// the same way, with 0 for "not yet".
package dbtime

import "time"

// Micros is t as a column value; the zero time is 0.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicros reads a column value back; 0 is the zero time.
func FromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
