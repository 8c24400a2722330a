-- Webhooks: events delivered to HTTP endpoints, signed with a per-webhook secret (stored encrypted).
CREATE TABLE webhook (
    id               CHAR(36)      NOT NULL,
    name             VARCHAR(200)  NOT NULL,
    url              VARCHAR(2000) NOT NULL,
    secret_encrypted VARCHAR(500)  NOT NULL,
    event_types      VARCHAR(2000) NOT NULL,   -- comma-separated: exact types, prefixes ending in '*', or '*'
    enabled          SMALLINT      NOT NULL,
    created_by       VARCHAR(200)  NOT NULL,
    created_at       TIMESTAMP     NOT NULL,
    updated_at       TIMESTAMP     NOT NULL,
    CONSTRAINT pk_webhook PRIMARY KEY (id)
);

-- One row per event and webhook, written in the event's transaction: nothing raised is lost, nothing rolled back is sent.
CREATE TABLE webhook_delivery (
    id              CHAR(36)      NOT NULL,
    webhook_id      CHAR(36)      NOT NULL,
    event_id        CHAR(36)      NOT NULL,
    event_type      VARCHAR(100)  NOT NULL,
    payload         TEXT          NOT NULL,
    state           VARCHAR(16)   NOT NULL,   -- PENDING, DELIVERED, FAILED
    attempts        INT           NOT NULL,
    next_attempt_at TIMESTAMP     NOT NULL,
    last_status     INT,
    last_error      VARCHAR(1000),
    created_at      TIMESTAMP     NOT NULL,
    delivered_at    TIMESTAMP,
    CONSTRAINT pk_webhook_delivery PRIMARY KEY (id),
    CONSTRAINT fk_webhook_delivery FOREIGN KEY (webhook_id) REFERENCES webhook (id) ON DELETE CASCADE
);
CREATE INDEX ix_webhook_delivery_due ON webhook_delivery (state, next_attempt_at);
CREATE INDEX ix_webhook_delivery_hook ON webhook_delivery (webhook_id, created_at);
