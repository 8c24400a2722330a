-- Where an admin's password is checked: 'local' (bcrypt hash here) or an identity-provider plugin's id.
ALTER TABLE admin_user ADD COLUMN provider VARCHAR(64) DEFAULT 'local' NOT NULL;

-- Browser sessions. Only a SHA-256 of the session id is kept; the CSRF token is bound to the session.
CREATE TABLE admin_session (
    id_hash      CHAR(64)     NOT NULL,
    username     VARCHAR(128) NOT NULL,
    csrf_hash    CHAR(64)     NOT NULL,
    created_at   TIMESTAMP    NOT NULL,
    expires_at   TIMESTAMP    NOT NULL,
    last_seen_at TIMESTAMP    NOT NULL,
    remote       VARCHAR(100) NOT NULL,
    CONSTRAINT pk_admin_session PRIMARY KEY (id_hash)
);
CREATE INDEX ix_admin_session_user ON admin_session (username);

-- API tokens for automation: shown once, kept as SHA-256, scoped to a role no higher than their creator's.
CREATE TABLE api_token (
    id           CHAR(36)     NOT NULL,
    name         VARCHAR(200) NOT NULL,
    token_hash   CHAR(64)     NOT NULL,
    prefix       VARCHAR(16)  NOT NULL,
    role         VARCHAR(32)  NOT NULL,
    owner        VARCHAR(128) NOT NULL,
    created_at   TIMESTAMP    NOT NULL,
    expires_at   TIMESTAMP    NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP,
    CONSTRAINT pk_api_token PRIMARY KEY (id),
    CONSTRAINT uq_api_token_hash UNIQUE (token_hash)
);

-- Plugins an operator disabled: not loaded while their file stays in the plugins directory.
CREATE TABLE plugin_switch (
    plugin_id  VARCHAR(64)  NOT NULL,
    enabled    SMALLINT     NOT NULL,
    changed_by VARCHAR(200) NOT NULL,
    changed_at TIMESTAMP    NOT NULL,
    CONSTRAINT pk_plugin_switch PRIMARY KEY (plugin_id)
);
