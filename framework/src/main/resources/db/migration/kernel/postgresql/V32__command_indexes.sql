-- A command changes state at least three times (queued, sent, answered). An UPDATE of an indexed column is never HOT
-- on PostgreSQL, so each change adds an entry to every index of `command` whose predicate the new row meets. The
-- indexes that only serve waiting commands therefore hold only waiting commands: an answer (the change to a final
-- state) adds nothing to them. Plans measured on both engines: docs/benchmarks.md, "Command indexes".
--
-- The expiry run: commands given a time to live that still wait. Its WHERE clause repeats this predicate, which is what
-- lets the planner use the index.
DROP INDEX ix_command_expiry;
CREATE INDEX ix_command_expiry ON command (expires_at)
    WHERE expires_at IS NOT NULL AND state IN ('QUEUED', 'SENT', 'NOT_NOW');
-- Counting the waiting commands for the dashboards (CommandService.pendingCount) reads the waiting ones only, not
-- every finished command kept for the record.
DROP INDEX ix_command_state;
CREATE INDEX ix_command_waiting ON command (state) WHERE state IN ('QUEUED', 'SENT', 'NOT_NOW');
