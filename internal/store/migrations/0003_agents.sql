-- Agents created or changed through the API. They override agents of the
-- same id in the config file; deleted = 1 is a tombstone, so an agent that
-- the config file defines stays deleted after a restart.
--
-- The password is kept in clear because SIP digest authentication needs it
-- (or its HA1, which is as good as the password for SIP). Storing HA1 per
-- realm instead is a follow-up.
CREATE TABLE agents (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL DEFAULT '',
	password    TEXT NOT NULL DEFAULT '',
	skills      TEXT NOT NULL DEFAULT '{}',
	updated_at  BIGINT NOT NULL DEFAULT 0,
	deleted     INTEGER NOT NULL DEFAULT 0
);
