-- Nothing on disk may link a slip to a ballot or tell the order of casting
-- once a meeting is sealed (see scrub.go).
-- An unspent slip carries a placeholder key hash as long as a real one, so
-- spending it overwrites its record in place: SQLite moves a record that
-- grows to the free end of its page, which would lay slips out in the order
-- they were spent.
UPDATE tokens SET key_hash = '0000000000000000000000000000000000000000000000000000000000000000' WHERE key_hash IS NULL;
-- scrubbed: the sealed meeting's storage has been rewritten (VACUUM) and the
-- write-ahead log truncated. Meetings sealed before this migration are
-- scrubbed at the next start.
ALTER TABLE meetings ADD COLUMN scrubbed BOOLEAN NOT NULL DEFAULT FALSE;
