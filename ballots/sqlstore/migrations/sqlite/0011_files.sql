-- Files (issue 12): evidence per entry (owner_kind 'evidence', owner_key
-- the indicator code) and each unit's reports (owner_kind 'report',
-- owner_key 'T01/self_check'). The bytes live here, in the database, so
-- every server sees them and a backup of the database holds them.
CREATE TABLE files (
	id           TEXT PRIMARY KEY,
	cycle        TEXT NOT NULL REFERENCES cycles(code),
	owner_kind   TEXT NOT NULL,
	owner_key    TEXT NOT NULL,
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         INTEGER NOT NULL,
	sha256       TEXT NOT NULL,
	data         BLOB NOT NULL,
	uploaded_by  TEXT NOT NULL,
	uploaded_at  TIMESTAMP NOT NULL
);
CREATE INDEX files_owner ON files (cycle, owner_kind, owner_key);
