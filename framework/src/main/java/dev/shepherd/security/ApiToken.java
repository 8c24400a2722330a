package dev.shepherd.security;

import dev.shepherd.device.DeviceScope;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * An API token as its owner sees it; the secret is shown once, at creation, and never again.
 *
 * @param id identifier
 * @param name what it is for
 * @param prefix the secret's first characters, to recognise it
 * @param role the role it acts with
 * @param owner the admin who created it
 * @param createdAt when
 * @param expiresAt when it stops working
 * @param lastUsedAt when it was last used, to the minute
 * @param revokedAt when it was revoked
 * @param scope the devices it reaches: at most its creator's scope when it was made
 */
public record ApiToken(String id, String name, String prefix, Role role, String owner, Instant createdAt, Instant expiresAt,
                       Optional<Instant> lastUsedAt, Optional<Instant> revokedAt, DeviceScope scope) {
    public ApiToken {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(prefix, "prefix is null");
        requireNonNull(role, "role is null");
        requireNonNull(owner, "owner is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(expiresAt, "expiresAt is null");
        requireNonNull(lastUsedAt, "lastUsedAt is null");
        requireNonNull(revokedAt, "revokedAt is null");
        requireNonNull(scope, "scope is null");
    }
}
