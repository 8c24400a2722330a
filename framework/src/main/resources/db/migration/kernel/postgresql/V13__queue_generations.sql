-- A device queued again while its work is in progress must be worked on again. The worker now takes the device off
-- the queue at the end of its transaction, and only if nobody queued it since (the generation it read is unchanged),
-- so queuing a device never waits for a long evaluation to finish.
ALTER TABLE compliance_queue ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE policy_reconcile_queue ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
