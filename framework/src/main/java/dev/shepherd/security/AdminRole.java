package dev.shepherd.security;

import java.util.EnumSet;
import java.util.Set;

import static dev.shepherd.security.Permission.*;

/** What an admin may do. Each role includes only what it needs; roles are ordered from most to least powerful. */
public enum AdminRole implements Role {
    /** Everything, including admin accounts, roles and plugins. */
    ADMIN("Everything, including admin accounts, roles and plugins.", EnumSet.allOf(Permission.class)),
    /** Day-to-day device, enrollment, group, policy, app, compliance, command and webhook management. */
    OPERATOR("Day-to-day device, enrollment, group, policy, app, compliance, command and webhook management.", EnumSet.of(DEVICE_READ, DEVICE_WRITE, DEVICE_ACTION, DEVICE_WIPE, DEVICE_PROFILE, COMMAND_RAW, ENROLLMENT_READ, ENROLLMENT_WRITE, GROUP_READ,
            GROUP_WRITE, POLICY_READ, POLICY_WRITE, COMMAND_READ, COMPLIANCE_READ, COMPLIANCE_WRITE, ACCESS_QUERY, USER_READ,
            USER_WRITE, PLUGIN_READ, WEBHOOK_READ, WEBHOOK_WRITE, AUDIT_READ, API_TOKEN_OWN, METRICS_READ, APP_READ, APP_MANAGE)),
    /**
     * Device lookup and remote actions, no policy, group or enrollment changes: no wipes, profile commands or RAW
     * commands, by any route.
     */
    HELPDESK("Device lookup and remote actions; no wipes, profile or RAW commands, no policy, group or enrollment changes.", EnumSet.of(DEVICE_READ, DEVICE_ACTION, ENROLLMENT_READ, GROUP_READ, POLICY_READ, COMMAND_READ, COMPLIANCE_READ,
            ACCESS_QUERY, USER_READ, API_TOKEN_OWN, APP_READ)),
    /** Read-only access to everything, including the audit log. */
    AUDITOR("Read-only access to everything, including the audit log.", EnumSet.of(DEVICE_READ, ENROLLMENT_READ, GROUP_READ, POLICY_READ, COMMAND_READ, COMPLIANCE_READ, USER_READ,
            PLUGIN_READ, WEBHOOK_READ, AUDIT_READ, API_TOKEN_OWN, METRICS_READ, APP_READ));

    private final String description;
    private final Set<Permission> permissions;

    AdminRole(String description, Set<Permission> permissions) {
        this.description = description;
        this.permissions = Set.copyOf(permissions);
    }

    /** @return the constant's name, which accounts and tokens have always stored */
    @Override
    public String id() {
        return name();
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public Set<Permission> permissions() {
        return permissions;
    }

    @Override
    public boolean builtIn() {
        return true;
    }
}
