-- The app catalog (issue 17): apps the app-store plugins hold, their assignments to groups, licence pools and
-- assignments, desired versus actual per device, and every app each device reports, searchable fleet-wide.

-- An app in the catalog: one store's app for one platform, as the store last described it.
CREATE TABLE app (
    id                   CHAR(36)      NOT NULL,
    platform             VARCHAR(32)   NOT NULL,
    store_id             VARCHAR(64)   NOT NULL,
    store_app_id         VARCHAR(512)  NOT NULL,
    identifier           VARCHAR(512)  NOT NULL,
    name                 VARCHAR(512)  NOT NULL,
    publisher            VARCHAR(512)  NOT NULL,
    icon_url             VARCHAR(2000),
    version              VARCHAR(512),
    size_bytes           BIGINT,
    configuration_schema CLOB,
    licensed             SMALLINT      NOT NULL,
    listed               SMALLINT      DEFAULT 0 NOT NULL,   -- in the store's catalog at its last complete pass
    removed_from_store   SMALLINT      DEFAULT 0 NOT NULL,   -- listed once, missing from the last complete pass
    added_by             VARCHAR(200)  NOT NULL,
    created_at           TIMESTAMP     NOT NULL,
    updated_at           TIMESTAMP     NOT NULL,
    CONSTRAINT pk_app PRIMARY KEY (id),
    CONSTRAINT uq_app_store UNIQUE (store_id, store_app_id, platform)
);
CREATE INDEX ix_app_identifier ON app (identifier);

-- Every version the catalog has seen of an app, first seen when.
CREATE TABLE app_version (
    app_id     CHAR(36)     NOT NULL,
    version    VARCHAR(512) NOT NULL,
    first_seen TIMESTAMP    NOT NULL,
    CONSTRAINT pk_app_version PRIMARY KEY (app_id, version),
    CONSTRAINT fk_app_version FOREIGN KEY (app_id) REFERENCES app (id) ON DELETE CASCADE
);

-- An app assigned to a group: REQUIRED, AVAILABLE or UNINSTALL, with its managed configuration (secret fields sealed).
CREATE TABLE app_assignment (
    app_id        CHAR(36)     NOT NULL,
    group_id      CHAR(36)     NOT NULL,
    intent        VARCHAR(16)  NOT NULL,
    configuration CLOB,
    created_by    VARCHAR(200) NOT NULL,
    created_at    TIMESTAMP    NOT NULL,
    updated_at    TIMESTAMP    NOT NULL,
    CONSTRAINT pk_app_assignment PRIMARY KEY (app_id, group_id),
    CONSTRAINT fk_app_assignment_app FOREIGN KEY (app_id) REFERENCES app (id) ON DELETE CASCADE,
    CONSTRAINT fk_app_assignment_group FOREIGN KEY (group_id) REFERENCES device_group (id) ON DELETE CASCADE
);
CREATE INDEX ix_app_assignment_group ON app_assignment (group_id);

-- An app's licence pool as its store last reported it.
CREATE TABLE app_licence_pool (
    app_id      CHAR(36)  NOT NULL,
    total       BIGINT    NOT NULL,
    assigned    BIGINT    NOT NULL,
    reported_at TIMESTAMP NOT NULL,
    CONSTRAINT pk_app_licence_pool PRIMARY KEY (app_id),
    CONSTRAINT fk_app_licence_pool FOREIGN KEY (app_id) REFERENCES app (id) ON DELETE CASCADE
);

-- A licence the kernel obtained from a store for a device; kept until the store has taken it back, so it has no foreign
-- key to the device: a deleted device's licences are still reclaimed.
CREATE TABLE app_licence (
    app_id      CHAR(36)     NOT NULL,
    device_id   CHAR(36)     NOT NULL,
    reference   VARCHAR(512),
    assigned_at TIMESTAMP    NOT NULL,
    CONSTRAINT pk_app_licence PRIMARY KEY (app_id, device_id),
    CONSTRAINT fk_app_licence_app FOREIGN KEY (app_id) REFERENCES app (id) ON DELETE CASCADE
);
CREATE INDEX ix_app_licence_device ON app_licence (device_id);

-- Desired versus actual, per device and app.
CREATE TABLE device_app (
    device_id         CHAR(36)      NOT NULL,
    app_id            CHAR(36)      NOT NULL,
    intent            VARCHAR(16)   NOT NULL,   -- REQUIRED, AVAILABLE, UNINSTALL
    state             VARCHAR(16)   NOT NULL,   -- PENDING, INSTALLING, INSTALLED, FAILED, REMOVED
    installed_version VARCHAR(512),
    reason            VARCHAR(2000),
    command_id        CHAR(36),
    updated_at        TIMESTAMP     NOT NULL,
    CONSTRAINT pk_device_app PRIMARY KEY (device_id, app_id),
    CONSTRAINT fk_device_app_device FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE,
    CONSTRAINT fk_device_app_app FOREIGN KEY (app_id) REFERENCES app (id) ON DELETE CASCADE
);
CREATE INDEX ix_device_app_app ON device_app (app_id, state);
CREATE INDEX ix_device_app_command ON device_app (command_id);

-- Every app every device reports (inventory app.<identifier>), managed or not; version_key sorts versions (OsVersion.key).
CREATE TABLE device_app_inventory (
    device_id   CHAR(36)     NOT NULL,
    identifier  VARCHAR(200) NOT NULL,
    version     VARCHAR(200) NOT NULL,
    version_key VARCHAR(32)  NOT NULL,
    updated_at  TIMESTAMP    NOT NULL,
    CONSTRAINT pk_device_app_inventory PRIMARY KEY (device_id, identifier),
    CONSTRAINT fk_device_app_inventory FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE
);
CREATE INDEX ix_device_app_inventory_identifier ON device_app_inventory (identifier, version_key);

-- Devices whose apps must be reconciled: written in the transaction of the change, drained in the background.
CREATE TABLE app_reconcile_queue (
    device_id  CHAR(36)  NOT NULL,
    queued_at  TIMESTAMP NOT NULL,
    generation BIGINT    DEFAULT 0 NOT NULL,
    CONSTRAINT pk_app_reconcile_queue PRIMARY KEY (device_id)
);
CREATE INDEX ix_app_reconcile_queued ON app_reconcile_queue (queued_at);
