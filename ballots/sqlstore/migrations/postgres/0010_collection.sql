-- Indicator collection (数据采集): the bodies that enter values (考核主体),
-- the catalogue of each unit's indicators (目标任务分解表), and each
-- indicator's entry with where it stands. Accounts of role assessor are
-- bound to a body, of role unit to a unit (codes, valid in any year).
ALTER TABLE users ADD COLUMN body TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN unit TEXT NOT NULL DEFAULT '';
ALTER TABLE cycles ADD COLUMN collect_deadline TEXT NOT NULL DEFAULT '';
CREATE TABLE bodies (
	cycle TEXT NOT NULL REFERENCES cycles(code),
	code  TEXT NOT NULL,
	name  TEXT NOT NULL,
	kind  TEXT NOT NULL,
	pos   INTEGER NOT NULL,
	PRIMARY KEY (cycle, code)
);
CREATE TABLE indicators (
	cycle    TEXT NOT NULL REFERENCES cycles(code),
	code     TEXT NOT NULL,
	unit     TEXT NOT NULL,
	category TEXT NOT NULL,
	name     TEXT NOT NULL,
	points   DOUBLE PRECISION NOT NULL,
	method   TEXT NOT NULL,
	target   DOUBLE PRECISION,
	measure  TEXT NOT NULL DEFAULT '',
	better   TEXT NOT NULL DEFAULT '',
	source   TEXT NOT NULL,
	pos      INTEGER NOT NULL,
	PRIMARY KEY (cycle, code)
);
CREATE TABLE entries (
	cycle      TEXT NOT NULL,
	indicator  TEXT NOT NULL,
	status     TEXT NOT NULL,
	actual     DOUBLE PRECISION,
	score      DOUBLE PRECISION,
	major_loss BOOLEAN NOT NULL DEFAULT FALSE,
	reason     TEXT NOT NULL DEFAULT '',
	note       TEXT NOT NULL DEFAULT '',
	comment    TEXT NOT NULL DEFAULT '',
	updated_by TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	PRIMARY KEY (cycle, indicator),
	FOREIGN KEY (cycle, indicator) REFERENCES indicators(cycle, code)
);
