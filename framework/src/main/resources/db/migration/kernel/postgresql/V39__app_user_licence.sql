-- User-based app licences (issue 17): an assignment says where its devices' licences come from (DEVICE: one per
-- device, USER: one per person, covering all their devices), and the kernel keeps the user licences it obtained.
ALTER TABLE app_assignment ADD COLUMN licence_source VARCHAR(8) DEFAULT 'DEVICE' NOT NULL;

-- A licence the kernel obtained from a store for a user; kept until the store has taken it back. device_id is the
-- device that needed it first (stores are asked on a device's behalf); check_due marks it for the reclaim pass, set
-- whenever a change may mean that no device of the user needs the app any more.
CREATE TABLE app_user_licence (
    app_id      CHAR(36)     NOT NULL,
    user_id     CHAR(36)     NOT NULL,
    device_id   CHAR(36)     NOT NULL,
    reference   VARCHAR(512),
    assigned_at TIMESTAMP    NOT NULL,
    check_due   SMALLINT     DEFAULT 0 NOT NULL,
    CONSTRAINT pk_app_user_licence PRIMARY KEY (app_id, user_id),
    CONSTRAINT fk_app_user_licence_app FOREIGN KEY (app_id) REFERENCES app (id) ON DELETE CASCADE
);
CREATE INDEX ix_app_user_licence_user ON app_user_licence (user_id);
CREATE INDEX ix_app_user_licence_due ON app_user_licence (check_due);
