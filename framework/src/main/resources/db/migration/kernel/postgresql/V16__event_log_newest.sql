-- The dashboard and GET /api/v1/events?order=newest read the newest events first; without this index the database sorts
-- the whole log to find them.
CREATE INDEX ix_event_log_newest ON event_log (seq DESC);
