-- A fan-out of one command to many devices; the parameters are stored once here, not per device.
CREATE TABLE command_batch (
    id           CHAR(36)     NOT NULL,
    command_type VARCHAR(32)  NOT NULL,
    parameters   CLOB         NOT NULL,
    priority     INT          NOT NULL,
    description  VARCHAR(500) NOT NULL,
    total        INT          NOT NULL,
    pushed       INT          NOT NULL,
    created_by   VARCHAR(200) NOT NULL,
    created_at   TIMESTAMP    NOT NULL,
    CONSTRAINT pk_command_batch PRIMARY KEY (id)
);

-- The durable per-device command queue. seq gives queue order within a priority; ids are time-ordered UUIDs.
CREATE TABLE command (
    id           CHAR(36)      NOT NULL,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY,
    device_id    CHAR(36)      NOT NULL,
    batch_id     CHAR(36),
    command_type VARCHAR(32)   NOT NULL,
    parameters   CLOB,                    -- NULL: the batch's parameters
    priority     INT           NOT NULL,
    state        VARCHAR(16)   NOT NULL,
    created_by   VARCHAR(200)  NOT NULL,
    created_at   TIMESTAMP     NOT NULL,
    expires_at   TIMESTAMP,
    sent_at      TIMESTAMP,
    completed_at TIMESTAMP,
    attempts     INT           NOT NULL,
    result       CLOB,
    error_reason VARCHAR(2000),
    updated_at   TIMESTAMP     NOT NULL,
    CONSTRAINT pk_command PRIMARY KEY (id),
    CONSTRAINT fk_command_batch FOREIGN KEY (batch_id) REFERENCES command_batch (id)
);
CREATE INDEX ix_command_queue ON command (device_id, state, priority, seq);
CREATE INDEX ix_command_batch ON command (batch_id, state);
CREATE INDEX ix_command_expiry ON command (expires_at, state);
