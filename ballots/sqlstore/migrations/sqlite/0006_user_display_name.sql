-- An account's 姓名, shown next to its login name (which stays ASCII).
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
