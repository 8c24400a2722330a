package dev.shepherd.security;

import dev.shepherd.audit.Actor;
import dev.shepherd.device.DeviceScope;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * An authenticated caller of the admin API.
 *
 * @param username the admin
 * @param role the role in force: the admin's, or the API token's
 * @param via how they authenticated
 * @param sessionCsrfHash for a browser session, the hash of its CSRF token, which state-changing requests must present
 * @param scope the devices the role is granted over: the account's scope, or the API token's
 */
public record Principal(String username, Role role, Via via, Optional<String> sessionCsrfHash, DeviceScope scope) {

    /** How a caller authenticated. */
    public enum Via { SESSION, API_TOKEN, BASIC }

    public Principal {
        requireNonNull(username, "username is null");
        requireNonNull(role, "role is null");
        requireNonNull(via, "via is null");
        requireNonNull(sessionCsrfHash, "sessionCsrfHash is null");
        requireNonNull(scope, "scope is null");
    }

    /** A caller whose role reaches the whole fleet. */
    public Principal(String username, Role role, Via via, Optional<String> sessionCsrfHash) {
        this(username, role, via, sessionCsrfHash, DeviceScope.FLEET);
    }

    /** @return whether the caller's grant is narrowed to some device groups */
    public boolean scoped() {
        return !scope.isFleet();
    }

    public Actor actor() {
        return Actor.admin(username);
    }
}
