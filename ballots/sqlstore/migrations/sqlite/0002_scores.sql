-- Scoring inputs: a year's rules (JSON, defaults when NULL) and each unit's
-- target-task data (JSON), validated by the scoring package before storing.
ALTER TABLE cycles ADD COLUMN rules TEXT;
CREATE TABLE targets (
	cycle TEXT NOT NULL REFERENCES cycles(code),
	unit  TEXT NOT NULL,
	body  TEXT NOT NULL,
	pos   INTEGER NOT NULL,
	PRIMARY KEY (cycle, unit)
);
