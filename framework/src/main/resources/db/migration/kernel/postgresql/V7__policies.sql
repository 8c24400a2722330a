-- Policies: named, versioned sets of platform-independent settings, assigned to groups with a priority.
CREATE TABLE policy (
    id          CHAR(36)      NOT NULL,
    name        VARCHAR(200)  NOT NULL,
    description VARCHAR(1000) NOT NULL,
    settings    TEXT          NOT NULL,
    version     BIGINT        NOT NULL,
    created_by  VARCHAR(200)  NOT NULL,
    created_at  TIMESTAMP     NOT NULL,
    updated_by  VARCHAR(200)  NOT NULL,
    updated_at  TIMESTAMP     NOT NULL,
    CONSTRAINT pk_policy PRIMARY KEY (id),
    CONSTRAINT uq_policy_name UNIQUE (name)
);

-- Every version of every policy, for history and for telling what changed.
CREATE TABLE policy_version (
    policy_id  CHAR(36)     NOT NULL,
    version    BIGINT       NOT NULL,
    name       VARCHAR(200) NOT NULL,
    settings   TEXT         NOT NULL,
    changed_by VARCHAR(200) NOT NULL,
    changed_at TIMESTAMP    NOT NULL,
    CONSTRAINT pk_policy_version PRIMARY KEY (policy_id, version),
    CONSTRAINT fk_policy_version FOREIGN KEY (policy_id) REFERENCES policy (id) ON DELETE CASCADE
);

CREATE TABLE policy_assignment (
    policy_id  CHAR(36)     NOT NULL,
    group_id   CHAR(36)     NOT NULL,
    priority   INT          NOT NULL,
    created_by VARCHAR(200) NOT NULL,
    created_at TIMESTAMP    NOT NULL,
    CONSTRAINT pk_policy_assignment PRIMARY KEY (policy_id, group_id),
    CONSTRAINT fk_policy_assignment_policy FOREIGN KEY (policy_id) REFERENCES policy (id) ON DELETE CASCADE,
    CONSTRAINT fk_policy_assignment_group FOREIGN KEY (group_id) REFERENCES device_group (id) ON DELETE CASCADE
);
CREATE INDEX ix_policy_assignment_group ON policy_assignment (group_id);

-- Desired versus actual, per device and setting: what the kernel last asked the device to apply and what came of it.
CREATE TABLE device_setting (
    device_id    CHAR(36)      NOT NULL,
    setting_key  VARCHAR(300)  NOT NULL,
    setting_type VARCHAR(100)  NOT NULL,
    desired_hash CHAR(64)      NOT NULL,
    state        VARCHAR(16)   NOT NULL,   -- PENDING, INSTALLED, FAILED, NOT_SUPPORTED
    reason       VARCHAR(2000),
    command_id   CHAR(36),
    policy_ids   VARCHAR(2000) NOT NULL,
    updated_at   TIMESTAMP     NOT NULL,
    CONSTRAINT pk_device_setting PRIMARY KEY (device_id, setting_key),
    CONSTRAINT fk_device_setting FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE
);
CREATE INDEX ix_device_setting_command ON device_setting (command_id);

-- Devices whose effective policy must be recomputed: written in the transaction of the change, drained in the background.
CREATE TABLE policy_reconcile_queue (
    device_id CHAR(36)  NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    CONSTRAINT pk_policy_reconcile_queue PRIMARY KEY (device_id)
);
CREATE INDEX ix_policy_reconcile_queued ON policy_reconcile_queue (queued_at);
