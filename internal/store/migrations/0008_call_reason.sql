-- Why the caller came: the label of the last labelled menu option they
-- chose ('' when none), for reports by reason.
ALTER TABLE calls ADD COLUMN reason TEXT NOT NULL DEFAULT '';
