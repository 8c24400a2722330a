-- The kernel's certificate authority for device identities. Its private key is sealed with the server's secrets key.
CREATE TABLE pki_authority (
    id                 SMALLINT     NOT NULL,
    certificate        TEXT         NOT NULL,   -- PEM
    private_key_sealed TEXT         NOT NULL,
    created_at         TIMESTAMP    NOT NULL,
    CONSTRAINT pk_pki_authority PRIMARY KEY (id)
);

-- One-time SCEP challenges: only their SHA-256 is kept; used_at is set by the request that redeems one.
CREATE TABLE pki_challenge (
    challenge_hash CHAR(64)      NOT NULL,
    bindings       TEXT          NOT NULL,
    expires_at     TIMESTAMP     NOT NULL,
    used_at        TIMESTAMP,
    CONSTRAINT pk_pki_challenge PRIMARY KEY (challenge_hash)
);

CREATE TABLE pki_certificate (
    serial_number VARCHAR(64)   NOT NULL,
    subject       VARCHAR(1000) NOT NULL,
    not_before    TIMESTAMP     NOT NULL,
    not_after     TIMESTAMP     NOT NULL,
    bindings      TEXT          NOT NULL,
    certificate   TEXT          NOT NULL,   -- PEM
    revoked_at    TIMESTAMP,
    CONSTRAINT pk_pki_certificate PRIMARY KEY (serial_number)
);
