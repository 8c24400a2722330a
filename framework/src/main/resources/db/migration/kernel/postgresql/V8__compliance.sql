-- Compliance rules over device state, optionally scoped to a group, with a grace period and remediation steps.
CREATE TABLE compliance_rule (
    id          CHAR(36)     NOT NULL,
    name        VARCHAR(200) NOT NULL,
    kind        VARCHAR(40)  NOT NULL,
    parameters  TEXT         NOT NULL,
    group_id    CHAR(36),
    grace_hours INT          NOT NULL,
    actions     TEXT         NOT NULL,
    enabled     SMALLINT     NOT NULL,
    created_by  VARCHAR(200) NOT NULL,
    created_at  TIMESTAMP    NOT NULL,
    updated_at  TIMESTAMP    NOT NULL,
    row_version BIGINT       NOT NULL,
    CONSTRAINT pk_compliance_rule PRIMARY KEY (id),
    CONSTRAINT uq_compliance_rule_name UNIQUE (name),
    CONSTRAINT fk_compliance_rule_group FOREIGN KEY (group_id) REFERENCES device_group (id) ON DELETE CASCADE
);

-- The rules a device currently fails, and since when: the start of the grace period and of remediation.
CREATE TABLE device_compliance (
    device_id     CHAR(36)      NOT NULL,
    rule_id       CHAR(36)      NOT NULL,
    failing_since TIMESTAMP     NOT NULL,
    detail        VARCHAR(1000) NOT NULL,
    CONSTRAINT pk_device_compliance PRIMARY KEY (device_id, rule_id),
    CONSTRAINT fk_device_compliance_device FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE,
    CONSTRAINT fk_device_compliance_rule FOREIGN KEY (rule_id) REFERENCES compliance_rule (id) ON DELETE CASCADE
);
CREATE INDEX ix_device_compliance_rule ON device_compliance (rule_id);

-- Remediation steps taken during the current failure of a rule, so each is taken once.
CREATE TABLE compliance_action (
    device_id   CHAR(36)    NOT NULL,
    rule_id     CHAR(36)    NOT NULL,
    action      VARCHAR(32) NOT NULL,
    executed_at TIMESTAMP   NOT NULL,
    CONSTRAINT pk_compliance_action PRIMARY KEY (device_id, rule_id, action),
    CONSTRAINT fk_compliance_action_device FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE,
    CONSTRAINT fk_compliance_action_rule FOREIGN KEY (rule_id) REFERENCES compliance_rule (id) ON DELETE CASCADE
);

-- Devices to evaluate again: written in the transaction of the change, drained in the background.
CREATE TABLE compliance_queue (
    device_id CHAR(36)  NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    CONSTRAINT pk_compliance_queue PRIMARY KEY (device_id)
);
CREATE INDEX ix_compliance_queued ON compliance_queue (queued_at);
