-- Retention (issue 16). The audit log is shortened only behind a checkpoint: entries up to through_seq were removed,
-- last_hash is the hash of entry through_seq, so the chain that remains still verifies from here. Each checkpoint is
-- itself recorded in the chain (the entry audit_seq, action audit.checkpoint), so one cannot be added unnoticed.
CREATE TABLE audit_checkpoint (
    through_seq BIGINT    NOT NULL,
    last_hash   CHAR(64)  NOT NULL,
    removed     BIGINT    NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    audit_seq   BIGINT    NOT NULL,
    CONSTRAINT pk_audit_checkpoint PRIMARY KEY (through_seq)
);
-- Old webhook deliveries are found by age.
CREATE INDEX ix_webhook_delivery_created ON webhook_delivery (created_at);
