-- Nothing the database keeps may link a slip to a ballot or tell the order
-- of casting once a meeting is sealed (see scrub.go).
-- An unspent slip carries a placeholder key hash as long as a real one (as
-- on SQLite, where it lets a spend overwrite the record in place).
UPDATE tokens SET key_hash = '0000000000000000000000000000000000000000000000000000000000000000' WHERE key_hash IS NULL;
-- scrubbed: the sealed meeting's token rows have been rewritten after its
-- ballot rows, so no row keeps the transaction id of a cast. Meetings sealed
-- before this migration are scrubbed at the next start.
ALTER TABLE meetings ADD COLUMN scrubbed BOOLEAN NOT NULL DEFAULT FALSE;
