-- Dashboards count the commands still waiting for their device.
CREATE INDEX ix_command_state ON command (state);
