-- An optional second factor for local admin accounts (issue 18): a TOTP key (RFC 6238) sealed with the server's
-- secrets key, active only once the admin confirmed it with a code; the last time step accepted, so a code is used
-- once; one-time recovery codes kept as SHA-256; and the pending sign-ins whose password was right and whose code is
-- still to come (only a hash of the pending token is kept, and it is no session).
CREATE TABLE admin_totp (
    username      VARCHAR(128) NOT NULL,
    secret_sealed VARCHAR(400) NOT NULL,
    active        SMALLINT     NOT NULL,
    last_step     BIGINT,
    created_at    TIMESTAMP    NOT NULL,
    activated_at  TIMESTAMP,
    CONSTRAINT pk_admin_totp PRIMARY KEY (username)
);

CREATE TABLE admin_recovery_code (
    username  VARCHAR(128) NOT NULL,
    code_hash CHAR(64)     NOT NULL,
    used_at   TIMESTAMP,
    CONSTRAINT pk_admin_recovery_code PRIMARY KEY (username, code_hash)
);

CREATE TABLE admin_sign_in_pending (
    id_hash    CHAR(64)     NOT NULL,
    username   VARCHAR(128) NOT NULL,
    remote     VARCHAR(100) NOT NULL,
    expires_at TIMESTAMP    NOT NULL,
    CONSTRAINT pk_admin_sign_in_pending PRIMARY KEY (id_hash)
);
