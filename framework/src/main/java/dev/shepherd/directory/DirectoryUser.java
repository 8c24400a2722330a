package dev.shepherd.directory;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * A person devices can be assigned to.
 *
 * @param id identifier, what devices refer to
 * @param provider {@code local} for the built-in directory, else the identity provider's id
 * @param username login name, unique within the provider
 * @param displayName the name to show
 * @param email e-mail address, possibly empty
 * @param createdAt when the record was made
 */
public record DirectoryUser(String id, String provider, String username, String displayName, String email, Instant createdAt) {
    public DirectoryUser {
        requireNonNull(id, "id is null");
        requireNonNull(provider, "provider is null");
        requireNonNull(username, "username is null");
        requireNonNull(displayName, "displayName is null");
        requireNonNull(email, "email is null");
        requireNonNull(createdAt, "createdAt is null");
    }
}
