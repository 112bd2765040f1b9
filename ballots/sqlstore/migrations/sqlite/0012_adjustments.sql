-- Adjustments (加减分): a year's categories (NULL row: the product's
-- defaults), and each unit's entries with where they stand: applied by a
-- unit, approved / rejected by the office, recorded directly by it,
-- withdrawn by the unit, revoked by the office.
CREATE TABLE adjustment_categories (
	cycle      TEXT NOT NULL PRIMARY KEY REFERENCES cycles(code),
	categories TEXT NOT NULL
);
CREATE TABLE adjustments (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	cycle         TEXT NOT NULL REFERENCES cycles(code),
	unit          TEXT NOT NULL,
	category      TEXT NOT NULL,
	category_name TEXT NOT NULL,
	points        REAL NOT NULL,
	reason        TEXT NOT NULL,
	status        TEXT NOT NULL,
	comment       TEXT NOT NULL DEFAULT '',
	created_by    TEXT NOT NULL,
	created_at    TIMESTAMP NOT NULL,
	decided_by    TEXT NOT NULL DEFAULT '',
	decided_at    TIMESTAMP
);
CREATE INDEX adjustments_cycle ON adjustments (cycle, id);
