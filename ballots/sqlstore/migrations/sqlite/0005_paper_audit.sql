-- Paper ballots waiting for their second person: the slip's hash (never its
-- code), the keyed answers, who keyed them and when. A row is deleted when
-- the ballot is confirmed (it is then cast like any other) or discarded.
-- cast_key is the random Idempotency-Key its cast will use, so the spent
-- slip's key hash cannot be derived from anything the audit log shows.
-- One waiting paper ballot per slip.
CREATE TABLE paper_ballots (
	id         TEXT PRIMARY KEY,
	meeting_id INTEGER NOT NULL REFERENCES meetings(id),
	token_hash TEXT NOT NULL UNIQUE,
	group_code TEXT NOT NULL,
	answers    TEXT NOT NULL,
	cast_key   TEXT NOT NULL,
	keyed_by   TEXT NOT NULL,
	keyed_at   TIMESTAMP NOT NULL
);
CREATE INDEX paper_ballots_meeting ON paper_ballots (meeting_id, keyed_at);
-- The audit log of organizer actions: append-only. It never holds a
-- ballot's content or a slip code. The triggers refuse changes and deletes.
CREATE TABLE audit_log (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	at     TIMESTAMP NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
