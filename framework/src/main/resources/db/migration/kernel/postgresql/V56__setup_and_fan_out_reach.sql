-- Guided setup and honest fan-out counts (issue 21).

-- What the setup checklist keeps on the server: whether an admin dismissed the completed checklist, and the domain
-- whose Windows discovery name (enterpriseenrollment.<domain>) it checks.
CREATE TABLE setup_state (
    name        VARCHAR(64)   NOT NULL,
    value       VARCHAR(1000) NOT NULL,
    updated_by  VARCHAR(200)  NOT NULL,
    updated_at  TIMESTAMP     NOT NULL,
    CONSTRAINT pk_setup_state PRIMARY KEY (name)
);

-- A fan-out's wake-ups, told apart: "pushed" now counts only what a push service took; targets that never enrolled
-- (PENDING: their command waits for the enrollment) and targets without a push channel are counted on their own.
ALTER TABLE command_batch ADD COLUMN awaiting_enrollment INT DEFAULT 0 NOT NULL;
ALTER TABLE command_batch ADD COLUMN unreachable INT DEFAULT 0 NOT NULL;
