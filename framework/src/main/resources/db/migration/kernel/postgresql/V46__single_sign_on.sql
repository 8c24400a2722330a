-- Single sign-on ("Sign in with <provider>", SignInProvider plugins).
--
-- Role mappings: a directory group of a provider, as its sign-ins report it, opens the console with a role. An admin
-- whose groups map to several roles gets the first mapping's (lowest position); one whose groups map to none is
-- refused. A later scope column (device groups) belongs here, beside the role it narrows.
CREATE TABLE sso_role_mapping (
    id          VARCHAR(36)  NOT NULL,
    provider    VARCHAR(63)  NOT NULL,
    group_name  VARCHAR(200) NOT NULL,
    role_id     VARCHAR(32)  NOT NULL,
    position    INTEGER      NOT NULL,
    created_at  TIMESTAMP    NOT NULL,
    CONSTRAINT pk_sso_role_mapping PRIMARY KEY (id),
    CONSTRAINT uq_sso_role_mapping UNIQUE (provider, group_name),
    CONSTRAINT fk_sso_role_mapping_role FOREIGN KEY (role_id) REFERENCES admin_role (id)
);

-- Sign-ins under way: between sending the browser to the identity provider and its return to the callback. Bound to
-- the browser by a cookie whose value only the browser has (its SHA-256 is the key), used once, expiring in minutes.
-- The plugin's pending secret (PKCE verifier, nonce) is sealed with the server's secrets key.
CREATE TABLE sso_flow (
    id_hash     CHAR(64)     NOT NULL,
    provider    VARCHAR(63)  NOT NULL,
    audience    VARCHAR(16)  NOT NULL,
    state_hash  CHAR(64)     NOT NULL,
    pending     VARCHAR(24000) NOT NULL,
    created_at  TIMESTAMP    NOT NULL,
    expires_at  TIMESTAMP    NOT NULL,
    CONSTRAINT pk_sso_flow PRIMARY KEY (id_hash)
);
CREATE INDEX ix_sso_flow_expires ON sso_flow (expires_at);
