-- The queue index in delivery order: within a device and state, highest priority first, then oldest (ids are
-- time-ordered). Taking a device's next command then reads the first entries of one index range instead of
-- reading and sorting every queued row of the device, so handing out a command no longer costs more the longer
-- the device's queue is. It replaces ix_command_queue (same columns, ascending priority), which served the
-- same equality lookups (device_id, state) and would otherwise cost a second index update per state change.
DROP INDEX ix_command_queue;
CREATE INDEX ix_command_next ON command (device_id, state, priority DESC, id);
