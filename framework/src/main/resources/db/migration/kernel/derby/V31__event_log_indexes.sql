-- Nothing changes on Derby: each of event_log's three indexes serves a read (plans measured with
-- SYSCS_GET_RUNTIMESTATISTICS on 30,000 events, see docs/benchmarks.md, "Recording results and handing out commands"):
-- pk_event_log the oldest-first reads (GET /api/v1/events, retention's oldest chunk), ix_event_log_newest the
-- newest-first ones (Derby cannot read an index backwards), ix_event_log_type a type filter (without it one rare type
-- reads the whole log). PostgreSQL drops its copy of ix_event_log_newest in this version.
VALUES 1;
