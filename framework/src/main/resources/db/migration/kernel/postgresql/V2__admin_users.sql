-- Administrators of the server. Passwords are bcrypt hashes, never the password itself.
CREATE TABLE admin_user (
    id            VARCHAR(36)  NOT NULL,
    username      VARCHAR(128) NOT NULL,
    password_hash VARCHAR(128) NOT NULL,
    role          VARCHAR(32)  NOT NULL,
    created_at    TIMESTAMP    NOT NULL,
    disabled      SMALLINT     DEFAULT 0 NOT NULL,
    CONSTRAINT pk_admin_user PRIMARY KEY (id),
    CONSTRAINT uq_admin_user_username UNIQUE (username)
);
