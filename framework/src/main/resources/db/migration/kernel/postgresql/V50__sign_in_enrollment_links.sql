-- Enrollment links that ask for the user's directory sign-in (issue 18): such a token enrolls nothing itself. The
-- person who opens it signs in on the server's enrollment sign-in page, which spends one of its uses on a one-time
-- token of their own (same platform, ownership and group, assigned to them), and the device enrolls with that.
ALTER TABLE enrollment_token ADD COLUMN require_sign_in SMALLINT DEFAULT 0 NOT NULL;
