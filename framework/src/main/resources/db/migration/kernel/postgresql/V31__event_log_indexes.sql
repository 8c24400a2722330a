-- Every event costs an entry in each of event_log's indexes, inside the transaction of the change that raised it.
-- ix_event_log_newest (seq DESC) was added for Derby, which cannot read an index backwards; PostgreSQL reads the
-- primary key backwards for the newest-first reads (GET /api/v1/events?order=newest, retention's maxCount), so here it
-- only cost every insert an index update.
DROP INDEX ix_event_log_newest;
-- The type filter of GET /api/v1/events is a prefix LIKE; a plain index serves it only under the C collation, so it is
-- rebuilt with the pattern operator class, which serves it under any collation the database was created with.
DROP INDEX ix_event_log_type;
CREATE INDEX ix_event_log_type ON event_log (event_type varchar_pattern_ops, seq);
