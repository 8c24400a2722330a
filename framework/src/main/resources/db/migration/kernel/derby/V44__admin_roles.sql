-- Admin roles as data. The four built-in roles are rows too (their permissions live in the code, AdminRole, and are
-- read-only), so that every account's role is a foreign key: a role still held by an account cannot be deleted.
-- Custom roles keep their permissions here, comma-separated Permission names. A later scope (device groups) belongs to
-- a grant of a role to an account, not to the role, so this table stays as it is when scopes come.
CREATE TABLE admin_role (
    id          VARCHAR(32)   NOT NULL,
    name        VARCHAR(64)   NOT NULL,
    description VARCHAR(500)  NOT NULL,
    permissions VARCHAR(2000) NOT NULL,
    built_in    SMALLINT      DEFAULT 0 NOT NULL,
    CONSTRAINT pk_admin_role PRIMARY KEY (id),
    CONSTRAINT uq_admin_role_name UNIQUE (name)
);

INSERT INTO admin_role (id, name, description, permissions, built_in) VALUES ('ADMIN', 'Admin', 'Built-in', '', 1);
INSERT INTO admin_role (id, name, description, permissions, built_in) VALUES ('OPERATOR', 'Operator', 'Built-in', '', 1);
INSERT INTO admin_role (id, name, description, permissions, built_in) VALUES ('HELPDESK', 'Help desk', 'Built-in', '', 1);
INSERT INTO admin_role (id, name, description, permissions, built_in) VALUES ('AUDITOR', 'Auditor', 'Built-in', '', 1);

ALTER TABLE admin_user ADD CONSTRAINT fk_admin_user_role FOREIGN KEY (role) REFERENCES admin_role (id);
