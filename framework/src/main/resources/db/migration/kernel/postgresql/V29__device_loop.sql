-- The queue index in delivery order: within a device and state, highest priority first, then oldest (ids are
-- time-ordered). Taking a device's next command then reads the first entries of one index range instead of
-- reading and sorting every queued row of the device, so handing out a command no longer costs more the longer
-- the device's queue is. It replaces ix_command_queue (same columns, ascending priority), which served the
-- same equality lookups (device_id, state) and would otherwise cost a second index update per state change.
DROP INDEX ix_command_queue;
CREATE INDEX ix_command_next ON command (device_id, state, priority DESC, id);

-- Nothing looks an event up by its id (a random UUID, unique without the store's help; readers page by seq), yet
-- its unique index cost every event - two per command - an insert at a random place in a B-tree.
ALTER TABLE event_log DROP CONSTRAINT uq_event_log_id;
