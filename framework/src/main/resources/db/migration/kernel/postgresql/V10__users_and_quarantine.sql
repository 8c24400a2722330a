-- Devices and enrollment tokens refer to people in the directory; removing a person unassigns their devices.
ALTER TABLE device ADD CONSTRAINT fk_device_user FOREIGN KEY (user_id) REFERENCES directory_user (id) ON DELETE SET NULL;
ALTER TABLE enrollment_token ADD CONSTRAINT fk_enrollment_token_user FOREIGN KEY (user_id) REFERENCES directory_user (id) ON DELETE SET NULL;
ALTER TABLE enrollment_token ADD CONSTRAINT fk_enrollment_token_group FOREIGN KEY (group_id) REFERENCES device_group (id) ON DELETE SET NULL;

-- The quarantine group: a smart group of every quarantined device. Assign restrictive policies to it; compliance
-- remediation moves devices in and out by quarantining them.
INSERT INTO device_group (id, name, description, kind, rule, created_by, created_at, updated_at, row_version)
VALUES ('00000000-0000-4000-8000-000000000001', 'Quarantined devices',
        'Every quarantined device. Built in: assign the policies quarantined devices should get.', 'SMART',
        '{"attribute":"status","op":"eq","value":"QUARANTINED"}', 'system:system', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1);
