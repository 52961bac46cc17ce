-- The customer a call belongs to in the timeline: the caller's number in
-- E.164 form, or the account the caller typed ("acct:..."). '' for calls
-- recorded before customers existed.
ALTER TABLE calls ADD COLUMN customer TEXT NOT NULL DEFAULT '';
CREATE INDEX calls_customer ON calls (customer, started_at);
