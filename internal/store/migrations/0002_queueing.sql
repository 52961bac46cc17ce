-- What the queue decided for each call. The full record (offers in order,
-- callback details) is the JSON in queueing ('' when the call never reached
-- a queue); the other columns copy the parts that calls are filtered and
-- reported on, so those queries need not parse JSON.
-- SQLite takes one column per ALTER TABLE, hence one statement each.
ALTER TABLE calls ADD COLUMN queue_outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN agent TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN queued_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN wait_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN queueing TEXT NOT NULL DEFAULT '';
CREATE INDEX calls_queue ON calls (queue, queued_at);
