package dev.shepherd.api.identity;

import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A person as an identity provider knows them.
 *
 * @param providerId the identity provider's id
 * @param username the unique login name within that provider
 * @param displayName the name to show
 * @param email e-mail address, empty when unknown
 * @param groups the provider's groups the person belongs to
 */
public record Identity(String providerId, String username, String displayName, String email, Set<String> groups) {

    /** Validates and copies every part. */
    public Identity {
        requireNonNull(providerId, "providerId is null");
        requireNonNull(username, "username is null");
        requireNonNull(displayName, "displayName is null");
        requireNonNull(email, "email is null");
        groups = Set.copyOf(requireNonNull(groups, "groups is null"));
    }
}
