-- The fleet as it was each day, for the reports page: device counts per dimension (managed, compliance, platform,
-- os), recorded by the kernel's maintenance job on the node holding the kernel lease. Today's rows are rewritten on
-- every run, so the last run of a day is what that day keeps.
CREATE TABLE fleet_snapshot (
    day         DATE         NOT NULL,
    dimension   VARCHAR(16)  NOT NULL,
    bucket      VARCHAR(120) NOT NULL,
    devices     INT          NOT NULL,
    recorded_at TIMESTAMP    NOT NULL,
    CONSTRAINT pk_fleet_snapshot PRIMARY KEY (day, dimension, bucket)
);

-- Every attempt to deliver a webhook event, for the webhooks page's delivery history (the delivery row keeps only the
-- last outcome). Goes with its delivery, which retention removes.
CREATE TABLE webhook_attempt (
    delivery_id  CHAR(36)      NOT NULL,
    attempt      INT           NOT NULL,
    attempted_at TIMESTAMP     NOT NULL,
    status       INT,
    error        VARCHAR(1000),
    duration_ms  BIGINT        NOT NULL,
    CONSTRAINT pk_webhook_attempt PRIMARY KEY (delivery_id, attempt),
    CONSTRAINT fk_webhook_attempt FOREIGN KEY (delivery_id) REFERENCES webhook_delivery (id) ON DELETE CASCADE
);
