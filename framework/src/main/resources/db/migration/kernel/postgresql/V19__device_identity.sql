-- Device identity is proven, never asserted (issue 14).

-- Which device a certificate is the identity of, recorded when the device is first seen speaking with it. One device
-- has one live identity: binding a certificate revokes the others bound to the same device.
ALTER TABLE pki_certificate ADD COLUMN device_id CHAR(36);
CREATE INDEX ix_pki_certificate_device ON pki_certificate (device_id);

-- An admin's permission for a device to be enrolled again by a client that only asserts its hardware identifiers
-- (for example after a factory reset lost its certificate); used up by that enrollment.
CREATE TABLE device_reenrollment_allowance (
    device_id     CHAR(36)     NOT NULL,
    allowed_until TIMESTAMP    NOT NULL,
    allowed_by    VARCHAR(200) NOT NULL,
    CONSTRAINT pk_device_reenrollment_allowance PRIMARY KEY (device_id),
    CONSTRAINT fk_device_reenrollment_allowance FOREIGN KEY (device_id) REFERENCES device (id) ON DELETE CASCADE
);
