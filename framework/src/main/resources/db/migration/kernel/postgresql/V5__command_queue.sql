-- A fan-out of one command to many devices. Queuing it writes this one row: the parameters once, and the target
-- devices as a sorted array of 16-byte ids. Per-device command rows are then written in the background, and on
-- demand when a target device asks for work first, so a fan-out to a whole fleet is durable in a moment.
CREATE TABLE command_batch (
    id           CHAR(36)     NOT NULL,
    command_type VARCHAR(32)  NOT NULL,
    parameters   TEXT         NOT NULL,
    priority     INT          NOT NULL,
    description  VARCHAR(500) NOT NULL,
    state        VARCHAR(16)  NOT NULL,   -- MATERIALIZING, COMPLETE (every row written), CANCELLED
    targets      BYTEA        NOT NULL,
    total        INT          NOT NULL,
    materialized INT          NOT NULL,
    pushed       INT          NOT NULL,
    expires_at   TIMESTAMP,
    created_by   VARCHAR(200) NOT NULL,
    created_at   TIMESTAMP    NOT NULL,
    CONSTRAINT pk_command_batch PRIMARY KEY (id)
);
CREATE INDEX ix_command_batch_state ON command_batch (state);

-- The durable per-device command queue. Ids are time-ordered UUIDs, so (priority, id) is the delivery order.
CREATE TABLE command (
    id           CHAR(36)      NOT NULL,
    device_id    CHAR(36)      NOT NULL,
    batch_id     CHAR(36),
    command_type VARCHAR(32)   NOT NULL,
    parameters   TEXT,                    -- NULL: the batch's parameters
    priority     INT           NOT NULL,
    state        VARCHAR(16)   NOT NULL,
    created_by   VARCHAR(200)  NOT NULL,
    created_at   TIMESTAMP     NOT NULL,
    expires_at   TIMESTAMP,
    sent_at      TIMESTAMP,
    completed_at TIMESTAMP,
    attempts     INT           NOT NULL,
    result       TEXT,
    error_reason VARCHAR(2000),
    updated_at   TIMESTAMP     NOT NULL,
    CONSTRAINT pk_command PRIMARY KEY (id),
    CONSTRAINT fk_command_batch FOREIGN KEY (batch_id) REFERENCES command_batch (id),
    -- One row per device and batch, so writing it twice (background and on demand) is harmless. A unique
    -- constraint, unlike a unique index, lets the many direct commands (batch_id NULL) coexist.
    CONSTRAINT uq_command_batch_device UNIQUE (batch_id, device_id)
);
CREATE INDEX ix_command_queue ON command (device_id, state, priority, id);
CREATE INDEX ix_command_expiry ON command (expires_at, state);
