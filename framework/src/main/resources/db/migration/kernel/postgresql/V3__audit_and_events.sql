-- Append-only, hash-chained audit log. audit_head holds the chain's tip; updating it serialises appends, so the
-- chain has no forks, and an append commits or rolls back together with the change it records.
CREATE TABLE audit_head (
    id        SMALLINT  NOT NULL,
    last_seq  BIGINT    NOT NULL,
    last_hash CHAR(64)  NOT NULL,
    CONSTRAINT pk_audit_head PRIMARY KEY (id)
);
INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_entry (
    seq          BIGINT       NOT NULL,
    occurred_at  TIMESTAMP    NOT NULL,
    actor_kind   VARCHAR(16)  NOT NULL,
    actor_id     VARCHAR(200) NOT NULL,
    action       VARCHAR(100) NOT NULL,
    target_type  VARCHAR(50)  NOT NULL,
    target_id    VARCHAR(200) NOT NULL,
    before_state TEXT,
    after_state  TEXT,
    prev_hash    CHAR(64)     NOT NULL,
    entry_hash   CHAR(64)     NOT NULL,
    CONSTRAINT pk_audit_entry PRIMARY KEY (seq)
);
CREATE INDEX ix_audit_target ON audit_entry (target_type, target_id, seq);
CREATE INDEX ix_audit_actor ON audit_entry (actor_id, seq);
CREATE INDEX ix_audit_time ON audit_entry (occurred_at);

-- Durable event log: events are written in the transaction of the change that raised them (an outbox).
CREATE TABLE event_log (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    id          CHAR(36)     NOT NULL,
    event_type  VARCHAR(100) NOT NULL,
    occurred_at TIMESTAMP    NOT NULL,
    source      VARCHAR(100) NOT NULL,
    data        TEXT         NOT NULL,
    CONSTRAINT pk_event_log PRIMARY KEY (seq),
    CONSTRAINT uq_event_log_id UNIQUE (id)
);
CREATE INDEX ix_event_log_type ON event_log (event_type, seq);
