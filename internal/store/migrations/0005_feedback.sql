-- Post-call survey answers: one row per question asked, answered or not, so
-- skipped questions count in aggregates. Agent, queue, customer and survey
-- are copied from the call so summaries need no join. No foreign key to
-- calls: a survey result must not be lost to the order calls are written in.
-- score is NULL when skipped. answered_at is Unix microseconds (UTC).
CREATE TABLE feedback_answers (
	call_id      TEXT NOT NULL,
	seq          INTEGER NOT NULL,
	question     TEXT NOT NULL,
	scale        TEXT NOT NULL,
	score        INTEGER NULL,
	skipped      INTEGER NOT NULL DEFAULT 0,
	agent        TEXT NOT NULL DEFAULT '',
	queue        TEXT NOT NULL DEFAULT '',
	customer     TEXT NOT NULL DEFAULT '',
	survey       TEXT NOT NULL DEFAULT '',
	answered_at  BIGINT NOT NULL,
	PRIMARY KEY (call_id, question)
);
CREATE INDEX feedback_answers_at ON feedback_answers (answered_at);
CREATE INDEX feedback_answers_queue ON feedback_answers (queue, answered_at);
CREATE INDEX feedback_answers_agent ON feedback_answers (agent, answered_at);
CREATE INDEX feedback_answers_customer ON feedback_answers (customer, answered_at);

-- The caller's recorded comment, at most one per call; the audio and its
-- metadata belong to recording.
CREATE TABLE feedback_comments (
	call_id       TEXT PRIMARY KEY,
	recording_id  TEXT NOT NULL,
	length_ms     BIGINT NOT NULL,
	recorded_at   BIGINT NOT NULL
);
