-- An account's session generation: each organizer token carries the one it
-- was issued under and works only while it still matches. A new password, a
-- role change and "sign out everywhere" advance it. Tokens issued before this
-- migration carry none, so every organizer signs in once more.
ALTER TABLE users ADD COLUMN session_gen INTEGER NOT NULL DEFAULT 1;
