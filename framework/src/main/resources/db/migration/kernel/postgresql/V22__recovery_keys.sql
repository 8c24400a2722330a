-- Disk-encryption recovery keys devices escrowed (FileVault personal recovery keys), sealed with the server's secrets
-- key. Every key a device reported is kept, newest last: a rotated key may still open an older backup or disk image.
CREATE TABLE device_recovery_key (
    id          BIGINT       NOT NULL GENERATED ALWAYS AS IDENTITY,
    device_id   CHAR(36)     NOT NULL,
    kind        VARCHAR(64)  NOT NULL,
    key_sealed  TEXT         NOT NULL,
    key_hash    CHAR(64)     NOT NULL,   -- SHA-256 of the key, so a key reported again is recognised unopened
    reported_at TIMESTAMP    NOT NULL,
    CONSTRAINT pk_device_recovery_key PRIMARY KEY (id),
    CONSTRAINT fk_recovery_key_device FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE
);
CREATE INDEX ix_recovery_key_device ON device_recovery_key (device_id, id);
