-- One row per call. Times are Unix microseconds (UTC) so SQLite and
-- PostgreSQL store and compare them the same way; 0 means "not yet".
CREATE TABLE calls (
	id           TEXT PRIMARY KEY,
	caller       TEXT NOT NULL,
	dialled      TEXT NOT NULL,
	menu         TEXT NOT NULL DEFAULT '',
	started_at   BIGINT NOT NULL,
	answered_at  BIGINT NOT NULL DEFAULT 0,
	ended_at     BIGINT NOT NULL DEFAULT 0,
	outcome      TEXT NOT NULL DEFAULT '',
	end_reason   TEXT NOT NULL DEFAULT '',
	queue        TEXT NOT NULL DEFAULT '',
	language     TEXT NOT NULL DEFAULT '',
	vars         TEXT NOT NULL DEFAULT '{}',
	transport    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX calls_started ON calls (started_at);
CREATE INDEX calls_caller ON calls (caller, started_at);

-- The IVR path: each menu entered and each digit, in order.
CREATE TABLE call_steps (
	call_id  TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
	seq      INTEGER NOT NULL,
	at       BIGINT NOT NULL,
	menu     TEXT NOT NULL,
	kind     TEXT NOT NULL,
	value    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (call_id, seq)
);
