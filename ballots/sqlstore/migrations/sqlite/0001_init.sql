-- Ceping ledger, SQLite dialect. Tables holding ballots and tokens have no
-- rowid, so storage order is key order (random), never casting order.
CREATE TABLE users (
	name          TEXT PRIMARY KEY,
	role          TEXT NOT NULL,
	password_hash TEXT NOT NULL
);
CREATE TABLE cycles (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL
);
CREATE TABLE units (
	cycle TEXT NOT NULL REFERENCES cycles(code),
	code  TEXT NOT NULL,
	name  TEXT NOT NULL,
	kind  TEXT NOT NULL,
	staff INTEGER NOT NULL DEFAULT 0,
	pos   INTEGER NOT NULL,
	PRIMARY KEY (cycle, code)
);
CREATE TABLE people (
	cycle  TEXT NOT NULL REFERENCES cycles(code),
	code   TEXT NOT NULL,
	name   TEXT NOT NULL,
	unit   TEXT NOT NULL,
	post   TEXT NOT NULL DEFAULT '',
	leader BOOLEAN NOT NULL DEFAULT FALSE,
	pos    INTEGER NOT NULL,
	PRIMARY KEY (cycle, code)
);
CREATE TABLE forms (
	cycle TEXT NOT NULL REFERENCES cycles(code),
	code  TEXT NOT NULL,
	body  TEXT NOT NULL,
	PRIMARY KEY (cycle, code)
);
CREATE TABLE meetings (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	cycle      TEXT NOT NULL REFERENCES cycles(code),
	code       TEXT NOT NULL,
	body       TEXT NOT NULL,
	status     TEXT NOT NULL DEFAULT 'pending',
	def        TEXT,
	cast_count INTEGER NOT NULL DEFAULT 0,
	sealed     TEXT,
	UNIQUE (cycle, code)
);
CREATE INDEX meetings_status ON meetings (status);
CREATE TABLE batches (
	id         TEXT PRIMARY KEY,
	meeting_id INTEGER NOT NULL REFERENCES meetings(id),
	group_code TEXT NOT NULL,
	count      INTEGER NOT NULL,
	revoked    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE tokens (
	hash       TEXT PRIMARY KEY,
	meeting_id INTEGER NOT NULL,
	group_code TEXT NOT NULL,
	batch_id   TEXT NOT NULL,
	state      INTEGER NOT NULL DEFAULT 0,
	key_hash   TEXT
) WITHOUT ROWID;
CREATE INDEX tokens_meeting ON tokens (meeting_id, group_code, state);
CREATE INDEX tokens_batch ON tokens (batch_id, state);
CREATE TABLE ballots (
	id         TEXT PRIMARY KEY,
	meeting_id INTEGER NOT NULL,
	group_code TEXT NOT NULL,
	answers    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX ballots_meeting ON ballots (meeting_id, id);
