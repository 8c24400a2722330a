package dev.shepherd.security;

/** What an admin API call needs. Roles are sets of these; plugins name them for their own admin endpoints. */
public enum Permission {
    DEVICE_READ, DEVICE_WRITE, DEVICE_ACTION, DEVICE_WIPE,
    /** Installing and removing configuration profiles by command, outside policies. */
    DEVICE_PROFILE,
    /** Platform-native (RAW) commands, which can do anything the platform can. */
    COMMAND_RAW,
    ENROLLMENT_READ, ENROLLMENT_WRITE,
    GROUP_READ, GROUP_WRITE,
    POLICY_READ, POLICY_WRITE,
    COMMAND_READ,
    COMPLIANCE_READ, COMPLIANCE_WRITE, ACCESS_QUERY,
    USER_READ, USER_WRITE,
    PLUGIN_READ, PLUGIN_MANAGE,
    WEBHOOK_READ, WEBHOOK_WRITE,
    AUDIT_READ,
    ADMIN_MANAGE,
    /** Reading the disk-encryption recovery keys devices escrowed (FileVault); every read is audited. */
    DEVICE_RECOVERY_KEY_READ,
    API_TOKEN_OWN,
    /** Reading the app catalog, its assignments, licences, per-device app states and the fleet's app inventory. */
    APP_READ,
    /** Adding and removing catalog apps, assigning them to groups (installs and removals follow), syncing stores. */
    APP_MANAGE,
    /** Reading the server's operational metrics ({@code GET /metrics}): traffic, queues, plugins, the JVM; no device data. */
    METRICS_READ
}
