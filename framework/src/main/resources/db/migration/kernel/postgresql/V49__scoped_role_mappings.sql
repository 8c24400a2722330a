-- A single sign-on role mapping grants its role over a scope too (issue 18: directory groups map to role and scope
-- grants): NULL is the whole fleet (every mapping made before), otherwise the device group ids separated by commas,
-- as admin_user.scope_groups stores them. The admin's account takes the scope with the role at every sign-in.
ALTER TABLE sso_role_mapping ADD COLUMN scope_groups VARCHAR(3800);
