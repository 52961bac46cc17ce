-- One row per recording of a call's conversation. The audio is a WAV file
-- under the recordings directory at path (relative, with '/'); the row is
-- kept after retention deletes the file (status 'deleted') as a record that
-- the call was recorded. status is 'recording' while the call is up, then
-- 'complete', or 'interrupted' when contactd stopped mid-call and repaired
-- the file at start-up. Times are Unix microseconds (UTC), 0 for "not yet".
-- No foreign key to calls: recordings are the recording package's own.
CREATE TABLE recordings (
	id           TEXT PRIMARY KEY,
	call_id      TEXT NOT NULL,
	queue        TEXT NOT NULL DEFAULT '',
	agent        TEXT NOT NULL DEFAULT '',
	customer     TEXT NOT NULL DEFAULT '',
	path         TEXT NOT NULL,
	status       TEXT NOT NULL,
	started_at   BIGINT NOT NULL,
	ended_at     BIGINT NOT NULL DEFAULT 0,
	duration_ms  BIGINT NOT NULL DEFAULT 0,
	bytes        BIGINT NOT NULL DEFAULT 0,
	paused_ms    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX recordings_call ON recordings (call_id, started_at);
CREATE INDEX recordings_status ON recordings (status, ended_at);
