-- Nothing changes on Derby: it backs every foreign key with an index of its own. PostgreSQL does not, and gets them
-- in this version (device_hardware_id's device_id was read by a full scan with every device record).
VALUES 1;
