-- Scoped role grants: an admin account's role, and an API token's, may reach only the members of some device groups.
-- NULL is the whole fleet (every grant made before scopes existed); otherwise the group ids separated by commas (at
-- most 100), an empty string reaching no device at all.
ALTER TABLE admin_user ADD COLUMN scope_groups VARCHAR(3800);
ALTER TABLE api_token ADD COLUMN scope_groups VARCHAR(3800);
