-- The device page's activity (GET /api/v1/devices/{id}/activity) reads one device's events, newest first. Events name
-- their device inside their JSON data ("deviceId"), which no index reaches; EventLog copies it into this column as it
-- records an event. Events recorded before this migration keep it empty and are not found by device.
ALTER TABLE event_log ADD COLUMN device_id CHAR(36);
-- Partial: events about no device (plugins, policies, groups) cost the index nothing.
CREATE INDEX ix_event_log_device ON event_log (device_id, seq) WHERE device_id IS NOT NULL;
