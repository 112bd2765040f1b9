-- When a batch was issued, so organizers see their batches in order. A
-- batch is a stack of slips, not a vote: its time tells nothing of anyone's
-- choice.
ALTER TABLE batches ADD COLUMN issued_at TIMESTAMP;
