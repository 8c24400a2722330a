-- The self-service portal (issue 17): passwords of the built-in directory's people (bcrypt, never returned), their
-- browser sessions (only hashes of the session id and CSRF token kept, like admin_session), and the mark an app a
-- user asked to install from the portal carries on their device until the reconciler queues its installation.
ALTER TABLE directory_user ADD COLUMN password_hash VARCHAR(100);

CREATE TABLE portal_session (
    id_hash      CHAR(64)     NOT NULL,
    user_id      CHAR(36)     NOT NULL,
    csrf_hash    CHAR(64)     NOT NULL,
    created_at   TIMESTAMP    NOT NULL,
    expires_at   TIMESTAMP    NOT NULL,
    last_seen_at TIMESTAMP    NOT NULL,
    remote       VARCHAR(100) NOT NULL,
    CONSTRAINT pk_portal_session PRIMARY KEY (id_hash),
    CONSTRAINT fk_portal_session_user FOREIGN KEY (user_id) REFERENCES directory_user (id) ON DELETE CASCADE
);
CREATE INDEX ix_portal_session_user ON portal_session (user_id);

-- The directory user who asked for this AVAILABLE app on this device; cleared once INSTALL_APP is queued or refused.
ALTER TABLE device_app ADD COLUMN requested_by CHAR(36);
