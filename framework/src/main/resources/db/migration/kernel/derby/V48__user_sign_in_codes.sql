-- One-time codes the server's sign-in page hands to a device's enrollment client once the user signed in with their
-- directory password (Windows' federated enrollment, MS-MDE2 section 3.2, returns it as the wresult the client sends
-- in its enrollment request). Only a SHA-256 of the code is kept; redeeming deletes the row, so a code works once,
-- and only until it expires.
CREATE TABLE user_sign_in_code (
    code_hash  CHAR(64)     NOT NULL,
    user_id    CHAR(36)     NOT NULL,
    purpose    VARCHAR(40)  NOT NULL,
    expires_at TIMESTAMP    NOT NULL,
    CONSTRAINT pk_user_sign_in_code PRIMARY KEY (code_hash)
);
