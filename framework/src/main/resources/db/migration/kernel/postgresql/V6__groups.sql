-- Groups of devices: static ones list their members, smart ones are defined by a rule (JSON) over device and
-- user attributes, and their membership is kept current as devices change.
CREATE TABLE device_group (
    id          CHAR(36)      NOT NULL,
    name        VARCHAR(200)  NOT NULL,
    description VARCHAR(1000) NOT NULL,
    kind        VARCHAR(8)    NOT NULL,   -- STATIC or SMART
    rule        TEXT,
    created_by  VARCHAR(200)  NOT NULL,
    created_at  TIMESTAMP     NOT NULL,
    updated_at  TIMESTAMP     NOT NULL,
    row_version BIGINT        NOT NULL,
    CONSTRAINT pk_device_group PRIMARY KEY (id),
    CONSTRAINT uq_device_group_name UNIQUE (name)
);

CREATE TABLE group_member (
    group_id  CHAR(36)  NOT NULL,
    device_id CHAR(36)  NOT NULL,
    added_at  TIMESTAMP NOT NULL,
    CONSTRAINT pk_group_member PRIMARY KEY (group_id, device_id),
    CONSTRAINT fk_group_member_group FOREIGN KEY (group_id) REFERENCES device_group (id) ON DELETE CASCADE,
    CONSTRAINT fk_group_member_device FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE
);
CREATE INDEX ix_group_member_device ON group_member (device_id, group_id);
