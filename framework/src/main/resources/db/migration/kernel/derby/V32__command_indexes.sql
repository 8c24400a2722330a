-- A command changes state at least three times (queued, sent, answered), and every index holding `state` costs each
-- change a delete and an insert; on Derby that index upkeep was most of the cost of those UPDATEs. Only ix_command_next
-- still holds the state: the take probe (device, state, delivery order) needs it. Plans measured on both engines with
-- and without these indexes: docs/benchmarks.md, "Command indexes".
--
-- The expiry run looks commands up by expires_at alone and checks their state on the row: only commands given a time
-- to live have one (admin-issued with timeToLiveSeconds; policy commands have none), and those with NULL, which Derby
-- sorts last, lie outside the `expires_at <= ?` range.
DROP INDEX ix_command_expiry;
CREATE INDEX ix_command_expiry ON command (expires_at);
-- Derby has no partial index, so an index on state is rewritten by every change. Counting the waiting commands scans
-- the table instead, at most every few seconds (CommandService.pendingCount, CommandQueueMetrics).
DROP INDEX ix_command_state;
