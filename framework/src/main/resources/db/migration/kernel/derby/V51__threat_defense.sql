-- Threat defense (issue 19): what threat-defense connectors said about devices, and how each connector is doing.

-- One row per connector the server has heard of, kept when its plugin is unloaded so its verdicts can go stale.
CREATE TABLE threat_connector (
    connector_id          VARCHAR(64)   NOT NULL,
    plugin_id             VARCHAR(64)   NOT NULL,
    display_name          VARCHAR(200)  NOT NULL,
    poll_cursor           VARCHAR(4000),               -- ThreatPoll.nextCursor of the last successful poll
    last_heard_at         TIMESTAMP,                   -- a successful poll or any push, heartbeats included
    last_success_at       TIMESTAMP,                   -- the last successful poll
    last_failure_at       TIMESTAMP,
    last_failure          VARCHAR(1000),
    consecutive_failures  INT           DEFAULT 0 NOT NULL,
    next_poll_at          TIMESTAMP,
    declared_stale_secs   BIGINT,                      -- the connector's own staleAfter(), as last read
    admin_stale_secs      BIGINT,                      -- an admin's override of the stale age
    stale                 SMALLINT      DEFAULT 0 NOT NULL, -- as last judged, so a change of freshness is acted on once
    created_at            TIMESTAMP     NOT NULL,
    CONSTRAINT pk_threat_connector PRIMARY KEY (connector_id)
);

-- A connector's current verdict on a device: its assessment replaces the previous one.
CREATE TABLE threat_verdict (
    device_id         CHAR(36)      NOT NULL,
    connector_id      VARCHAR(64)   NOT NULL,
    level             VARCHAR(16)   NOT NULL,
    vendor_verdict    VARCHAR(1000) NOT NULL,
    vendor_device_id  VARCHAR(255)  NOT NULL,
    assessed_at       TIMESTAMP     NOT NULL,
    received_at       TIMESTAMP     NOT NULL,
    threats           CLOB          NOT NULL,          -- JSON list of the threats behind the level
    CONSTRAINT pk_threat_verdict PRIMARY KEY (device_id, connector_id),
    CONSTRAINT fk_threat_verdict_device FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE,
    CONSTRAINT fk_threat_verdict_connector FOREIGN KEY (connector_id) REFERENCES threat_connector (connector_id)
);
CREATE INDEX ix_threat_verdict_connector ON threat_verdict (connector_id);
CREATE INDEX ix_threat_verdict_level ON threat_verdict (level);

-- The vendor's id of a device, recorded at the first match (or an admin's link), so later signals find it directly.
CREATE TABLE threat_device_link (
    connector_id      VARCHAR(64)   NOT NULL,
    vendor_device_id  VARCHAR(255)  NOT NULL,
    device_id         CHAR(36)      NOT NULL,
    matched_by        VARCHAR(64)   NOT NULL,          -- serverDeviceId, serialNumber, udid, imei, name, admin:<name>...
    linked_at         TIMESTAMP     NOT NULL,
    CONSTRAINT pk_threat_device_link PRIMARY KEY (connector_id, vendor_device_id),
    CONSTRAINT fk_threat_link_device FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE,
    CONSTRAINT fk_threat_link_connector FOREIGN KEY (connector_id) REFERENCES threat_connector (connector_id)
);
CREATE INDEX ix_threat_link_device ON threat_device_link (device_id);

-- Signals that matched no managed device, or more than one: the latest per vendor device, for an admin to link.
CREATE TABLE threat_unmatched (
    connector_id      VARCHAR(64)   NOT NULL,
    vendor_device_id  VARCHAR(255)  NOT NULL,
    vendor_device     CLOB          NOT NULL,          -- JSON: the VendorDevice as reported
    level             VARCHAR(16)   NOT NULL,
    reason            VARCHAR(500)  NOT NULL,
    assessment        CLOB          NOT NULL,          -- JSON: the whole assessment, applied when an admin links it
    assessed_at       TIMESTAMP     NOT NULL,
    received_at       TIMESTAMP     NOT NULL,
    CONSTRAINT pk_threat_unmatched PRIMARY KEY (connector_id, vendor_device_id),
    CONSTRAINT fk_threat_unmatched_connector FOREIGN KEY (connector_id) REFERENCES threat_connector (connector_id)
);
CREATE INDEX ix_threat_unmatched_received ON threat_unmatched (received_at);
