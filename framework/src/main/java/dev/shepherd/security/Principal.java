package dev.shepherd.security;

import dev.shepherd.audit.Actor;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * An authenticated caller of the admin API.
 *
 * @param username the admin
 * @param role the role in force: the admin's, or the API token's
 * @param via how they authenticated
 * @param sessionCsrfHash for a browser session, the hash of its CSRF token, which state-changing requests must present
 */
public record Principal(String username, Role role, Via via, Optional<String> sessionCsrfHash) {

    /** How a caller authenticated. */
    public enum Via { SESSION, API_TOKEN, BASIC }

    public Principal {
        requireNonNull(username, "username is null");
        requireNonNull(role, "role is null");
        requireNonNull(via, "via is null");
        requireNonNull(sessionCsrfHash, "sessionCsrfHash is null");
    }

    public Actor actor() {
        return Actor.admin(username);
    }
}
