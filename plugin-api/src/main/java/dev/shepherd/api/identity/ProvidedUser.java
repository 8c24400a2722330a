package dev.shepherd.api.identity;

import static java.util.Objects.requireNonNull;

/**
 * A person as an identity provider's directory holds them, for {@link UserDirectory#putUser}.
 *
 * @param externalId the provider's stable, unique id of the person (an LDAP {@code entryUUID} or AD
 *        {@code objectGUID}, a SCIM {@code externalId} or resource id); it survives renames, unlike the username
 * @param username the login name within the provider (uid, sAMAccountName, userPrincipalName, SCIM userName…);
 *        1 to 200 letters, digits and {@code . _ @ + -}
 * @param displayName the name to show; 1 to 200 characters
 * @param email e-mail address, empty when unknown
 * @param active false when the directory has disabled the person: the server refuses their sign-ins and applies
 *        its deprovisioning policy to their devices
 * @since 0.11.0
 */
public record ProvidedUser(String externalId, String username, String displayName, String email, boolean active) {

    /** Checks every part is present; the server checks their form. */
    public ProvidedUser {
        requireNonNull(externalId, "externalId is null");
        requireNonNull(username, "username is null");
        requireNonNull(displayName, "displayName is null");
        requireNonNull(email, "email is null");
        if (externalId.isBlank()) {
            throw new IllegalArgumentException("externalId is blank");
        }
    }
}
