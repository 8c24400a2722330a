-- The audit page reads the newest entries first.
CREATE INDEX ix_audit_newest ON audit_entry (seq DESC);
