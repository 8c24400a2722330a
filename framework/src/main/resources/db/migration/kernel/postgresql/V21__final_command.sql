-- The command that ends a device's management (retire, wipe): the only one a RETIRED or WIPED device is still handed.
ALTER TABLE command ADD COLUMN ends_management SMALLINT DEFAULT 0 NOT NULL;
