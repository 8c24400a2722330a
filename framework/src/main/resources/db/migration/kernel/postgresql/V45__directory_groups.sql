-- The directory as identity-provider plugins feed it (UserDirectory). A person keeps the provider's stable id
-- (external_id, unique within the provider when set; people added at first sign-in have none until a sync adopts
-- them by username), is deactivated rather than deleted when the provider no longer has them, and is deprovisioned
-- (their devices retired) once, when the server's policy says so.
ALTER TABLE directory_user ADD COLUMN external_id VARCHAR(200);
ALTER TABLE directory_user ADD COLUMN active SMALLINT DEFAULT 1 NOT NULL;
ALTER TABLE directory_user ADD COLUMN deactivated_at TIMESTAMP;
ALTER TABLE directory_user ADD COLUMN deprovisioned_at TIMESTAMP;
ALTER TABLE directory_user ADD COLUMN updated_at TIMESTAMP;
UPDATE directory_user SET updated_at = created_at;
ALTER TABLE directory_user ALTER COLUMN updated_at SET NOT NULL;
ALTER TABLE directory_user ADD CONSTRAINT uq_directory_user_external UNIQUE (provider, external_id);
CREATE INDEX ix_directory_user_deactivated ON directory_user (active, deactivated_at);

-- Which plugin owns a provider id: the first to put something under it. Others are refused.
CREATE TABLE directory_provider (
    id           VARCHAR(64) NOT NULL,
    owner_plugin VARCHAR(64) NOT NULL,
    created_at   TIMESTAMP   NOT NULL,
    CONSTRAINT pk_directory_provider PRIMARY KEY (id)
);

CREATE TABLE directory_group (
    id          CHAR(36)     NOT NULL,
    provider    VARCHAR(64)  NOT NULL,
    external_id VARCHAR(200) NOT NULL,
    name        VARCHAR(200) NOT NULL,
    created_at  TIMESTAMP    NOT NULL,
    updated_at  TIMESTAMP    NOT NULL,
    CONSTRAINT pk_directory_group PRIMARY KEY (id),
    CONSTRAINT uq_directory_group_external UNIQUE (provider, external_id),
    CONSTRAINT uq_directory_group_name UNIQUE (provider, name)
);

-- Direct memberships as the provider reported them: people in a group, groups in a group (cycles allowed).
CREATE TABLE directory_group_user (
    group_id CHAR(36) NOT NULL,
    user_id  CHAR(36) NOT NULL,
    CONSTRAINT pk_directory_group_user PRIMARY KEY (group_id, user_id),
    CONSTRAINT fk_directory_group_user_group FOREIGN KEY (group_id) REFERENCES directory_group (id) ON DELETE CASCADE,
    CONSTRAINT fk_directory_group_user_user FOREIGN KEY (user_id) REFERENCES directory_user (id) ON DELETE CASCADE
);
CREATE INDEX ix_directory_group_user_user ON directory_group_user (user_id);

CREATE TABLE directory_group_nesting (
    group_id        CHAR(36) NOT NULL,
    member_group_id CHAR(36) NOT NULL,
    CONSTRAINT pk_directory_group_nesting PRIMARY KEY (group_id, member_group_id),
    CONSTRAINT fk_directory_group_nesting_group FOREIGN KEY (group_id) REFERENCES directory_group (id) ON DELETE CASCADE,
    CONSTRAINT fk_directory_group_nesting_member FOREIGN KEY (member_group_id) REFERENCES directory_group (id) ON DELETE CASCADE
);
CREATE INDEX ix_directory_group_nesting_member ON directory_group_nesting (member_group_id);

-- Effective membership: every person in a group directly or through nested groups at any depth. Maintained by the
-- kernel whenever a provider's groups change, so smart-group rules read it with one indexed lookup.
CREATE TABLE directory_group_closure (
    group_id CHAR(36) NOT NULL,
    user_id  CHAR(36) NOT NULL,
    CONSTRAINT pk_directory_group_closure PRIMARY KEY (group_id, user_id),
    CONSTRAINT fk_directory_group_closure_group FOREIGN KEY (group_id) REFERENCES directory_group (id) ON DELETE CASCADE,
    CONSTRAINT fk_directory_group_closure_user FOREIGN KEY (user_id) REFERENCES directory_user (id) ON DELETE CASCADE
);
CREATE INDEX ix_directory_group_closure_user ON directory_group_closure (user_id);
