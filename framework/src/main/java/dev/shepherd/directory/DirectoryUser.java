package dev.shepherd.directory;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A person devices can be assigned to.
 *
 * @param id identifier, what devices refer to
 * @param provider {@code local} for the built-in directory, else the identity provider's id
 * @param externalId the provider's stable id of the person, once a directory sync or push has named it
 * @param username login name, unique within the provider
 * @param displayName the name to show
 * @param email e-mail address, possibly empty
 * @param active false once the provider has disabled the person or no longer has them: their sign-ins are refused
 * @param deactivatedAt when they were deactivated, while they are
 * @param createdAt when the record was made
 * @param updatedAt when the record last changed
 */
public record DirectoryUser(String id, String provider, Optional<String> externalId, String username, String displayName,
                            String email, boolean active, Optional<Instant> deactivatedAt, Instant createdAt, Instant updatedAt) {
    public DirectoryUser {
        requireNonNull(id, "id is null");
        requireNonNull(provider, "provider is null");
        requireNonNull(externalId, "externalId is null");
        requireNonNull(username, "username is null");
        requireNonNull(displayName, "displayName is null");
        requireNonNull(email, "email is null");
        requireNonNull(deactivatedAt, "deactivatedAt is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
