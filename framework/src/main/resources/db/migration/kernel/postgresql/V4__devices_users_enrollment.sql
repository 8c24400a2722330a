-- People devices belong to. 'local' is the built-in directory; identity-provider plugins add their own.
CREATE TABLE directory_user (
    id           CHAR(36)     NOT NULL,
    provider     VARCHAR(64)  NOT NULL,
    username     VARCHAR(200) NOT NULL,
    display_name VARCHAR(200) NOT NULL,
    email        VARCHAR(320) NOT NULL,
    created_at   TIMESTAMP    NOT NULL,
    CONSTRAINT pk_directory_user PRIMARY KEY (id),
    CONSTRAINT uq_directory_user UNIQUE (provider, username)
);

CREATE TABLE device (
    id                  CHAR(36)     NOT NULL,
    platform            VARCHAR(32)  NOT NULL,
    status              VARCHAR(16)  NOT NULL,
    ownership           VARCHAR(16)  NOT NULL,
    name                VARCHAR(255) NOT NULL,
    name_key            VARCHAR(255) NOT NULL,  -- lower-cased name, for case-insensitive prefix search
    serial_number       VARCHAR(128) NOT NULL,
    model               VARCHAR(128) NOT NULL,
    os_version          VARCHAR(64)  NOT NULL,
    os_version_key      VARCHAR(40)  NOT NULL,  -- zero-padded, so versions compare as strings
    user_id             CHAR(36),
    enrollment_method   VARCHAR(16),
    enrollment_token_id CHAR(36),
    enrolled_by         VARCHAR(200),
    enrolled_at         TIMESTAMP,
    last_check_in       TIMESTAMP,
    compliance          VARCHAR(16)  NOT NULL,
    created_at          TIMESTAMP    NOT NULL,
    updated_at          TIMESTAMP    NOT NULL,
    row_version         BIGINT       NOT NULL,
    CONSTRAINT pk_device PRIMARY KEY (id)
);
CREATE INDEX ix_device_platform ON device (platform, id);
CREATE INDEX ix_device_status ON device (status, id);
CREATE INDEX ix_device_ownership ON device (ownership, id);
CREATE INDEX ix_device_compliance ON device (compliance, id);
CREATE INDEX ix_device_model ON device (model, id);
CREATE INDEX ix_device_os ON device (os_version_key, id);
CREATE INDEX ix_device_name ON device (name_key, id);
CREATE INDEX ix_device_serial ON device (serial_number);
CREATE INDEX ix_device_user ON device (user_id);
CREATE INDEX ix_device_check_in ON device (last_check_in);

CREATE TABLE device_hardware_id (
    platform  VARCHAR(32)  NOT NULL,
    kind      VARCHAR(32)  NOT NULL,
    value     VARCHAR(200) NOT NULL,
    device_id CHAR(36)     NOT NULL,
    CONSTRAINT pk_device_hardware_id PRIMARY KEY (platform, kind, value),
    CONSTRAINT fk_device_hardware_id FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE
);

CREATE TABLE device_tag (
    device_id CHAR(36)     NOT NULL,
    tag       VARCHAR(100) NOT NULL,
    CONSTRAINT pk_device_tag PRIMARY KEY (device_id, tag),
    CONSTRAINT fk_device_tag FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE
);
CREATE INDEX ix_device_tag ON device_tag (tag, device_id);

CREATE TABLE device_attribute (
    device_id  CHAR(36)      NOT NULL,
    name       VARCHAR(100)  NOT NULL,
    value      VARCHAR(1000) NOT NULL,
    CONSTRAINT pk_device_attribute PRIMARY KEY (device_id, name),
    CONSTRAINT fk_device_attribute FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE
);
CREATE INDEX ix_device_attribute ON device_attribute (name, value);

CREATE TABLE device_inventory (
    device_id  CHAR(36)      NOT NULL,
    item       VARCHAR(200)  NOT NULL,
    value      VARCHAR(4000) NOT NULL,
    updated_at TIMESTAMP     NOT NULL,
    CONSTRAINT pk_device_inventory PRIMARY KEY (device_id, item),
    CONSTRAINT fk_device_inventory FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE
);

-- Enrollment tokens: only a SHA-256 of the secret is kept; the secret is shown once, at creation.
CREATE TABLE enrollment_token (
    id          CHAR(36)     NOT NULL,
    name        VARCHAR(200) NOT NULL,
    token_hash  CHAR(64)     NOT NULL,
    ownership   VARCHAR(16)  NOT NULL,
    platform    VARCHAR(32),
    group_id    CHAR(36),
    user_id     CHAR(36),
    max_uses    INT,
    uses        INT          NOT NULL,
    expires_at  TIMESTAMP    NOT NULL,
    created_by  VARCHAR(200) NOT NULL,
    created_at  TIMESTAMP    NOT NULL,
    revoked_at  TIMESTAMP,
    CONSTRAINT pk_enrollment_token PRIMARY KEY (id),
    CONSTRAINT uq_enrollment_token_hash UNIQUE (token_hash)
);
