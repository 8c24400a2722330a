package dev.shepherd.api.appstore;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The person a {@link LicenceKind#USER} licence is for, as the kernel's user directory knows them: what a store needs
 * to find or create its own record of the user.
 *
 * @param id the directory's stable id of the user, which never changes or gets reused (a store keys its user on it,
 *        as Apple's {@code clientUserId})
 * @param email the user's email address, when the directory has one
 * @param displayName the user's name as admins see it
 * @since 0.10.0
 */
public record LicenceUser(String id, Optional<String> email, String displayName) {

    /** Validates every part. */
    public LicenceUser {
        requireNonNull(id, "id is null");
        requireNonNull(email, "email is null");
        requireNonNull(displayName, "displayName is null");
        if (id.isBlank()) {
            throw new IllegalArgumentException("id is blank");
        }
        if (email.isPresent() && email.get().isBlank()) {
            throw new IllegalArgumentException("email is present but blank");
        }
    }
}
