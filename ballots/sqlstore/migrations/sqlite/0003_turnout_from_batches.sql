-- Spending a slip rewrites only its own row: no index holds a slip's state
-- (on PostgreSQL the spend becomes a HOT update). Turnout's issued and
-- revoked counts come from the batches, which now keep how many unused
-- slips a revoke voided.
ALTER TABLE batches ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;
UPDATE batches SET voided = (SELECT count(*) FROM tokens WHERE tokens.batch_id = batches.id AND tokens.state = 2);
DROP INDEX tokens_meeting;
DROP INDEX tokens_batch;
CREATE INDEX tokens_batch ON tokens (batch_id);
