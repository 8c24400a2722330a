-- A staged rollout of an app's updates (issue 17): a new catalog version reaches the devices of a pilot group first;
-- the rest of the fleet keeps the released version until an admin promotes the new one. Deleting the pilot group
-- ends the rollout (every device then follows the catalog's newest version again).
CREATE TABLE app_rollout (
    app_id           CHAR(36)     NOT NULL,
    pilot_group_id   CHAR(36)     NOT NULL,
    released_version VARCHAR(512),
    started_by       VARCHAR(200) NOT NULL,
    started_at       TIMESTAMP    NOT NULL,
    promoted_at      TIMESTAMP,
    CONSTRAINT pk_app_rollout PRIMARY KEY (app_id),
    CONSTRAINT fk_app_rollout_app FOREIGN KEY (app_id) REFERENCES app (id) ON DELETE CASCADE,
    CONSTRAINT fk_app_rollout_group FOREIGN KEY (pilot_group_id) REFERENCES device_group (id) ON DELETE CASCADE
);
CREATE INDEX ix_app_rollout_group ON app_rollout (pilot_group_id);
