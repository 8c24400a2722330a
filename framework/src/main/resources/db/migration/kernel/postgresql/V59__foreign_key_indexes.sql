-- Derby backs every foreign key with an index; PostgreSQL does not, so looking rows up by the referencing columns,
-- and the check or cascade when a referenced row is deleted, read the whole table. device_hardware_id is read by
-- device with every device record: at 10,000 devices that scan was PostgreSQL's costliest statement in the fleet
-- benchmark (0.5 ms a read), growing with the fleet. KernelSchemaDialectsTest keeps every foreign key indexed.
CREATE INDEX ix_device_hardware_id_device ON device_hardware_id (device_id);
CREATE INDEX ix_admin_user_role ON admin_user (role);
CREATE INDEX ix_compliance_action_rule ON compliance_action (rule_id);
CREATE INDEX ix_compliance_rule_group ON compliance_rule (group_id);
CREATE INDEX ix_enrollment_token_group ON enrollment_token (group_id);
CREATE INDEX ix_enrollment_token_user ON enrollment_token (user_id);
CREATE INDEX ix_sso_role_mapping_role ON sso_role_mapping (role_id);
