package dev.shepherd.security;

import dev.shepherd.device.DeviceScope;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * An administrator account. The password hash never leaves the security package's store.
 *
 * @param id stable identifier
 * @param username login name
 * @param role what they may do
 * @param createdAt when the account was made
 * @param disabled whether sign-in is refused
 * @param scope the devices the role is granted over
 */
public record AdminUser(String id, String username, Role role, Instant createdAt, boolean disabled, DeviceScope scope) {
    public AdminUser {
        requireNonNull(id, "id is null");
        requireNonNull(username, "username is null");
        requireNonNull(role, "role is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(scope, "scope is null");
    }
}
