package dev.shepherd.security;

/** What an admin may do. Each role includes only what it needs. */
public enum AdminRole {
    /** Everything, including admin users, roles and plugins. */
    ADMIN,
    /** Day-to-day device, policy and command management. */
    OPERATOR,
    /** Device lookup and remote actions, no policy edits. */
    HELPDESK,
    /** Read-only access, including the audit log. */
    AUDITOR
}
