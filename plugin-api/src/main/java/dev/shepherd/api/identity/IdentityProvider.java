package dev.shepherd.api.identity;

import org.pf4j.ExtensionPoint;

import java.util.Optional;

/**
 * A directory of people (LDAP, OIDC, SCIM, …) that authenticates users and admins and supplies the users
 * devices are assigned to.
 */
public interface IdentityProvider extends ExtensionPoint {

    /**
     * A short unique id of this provider, such as {@code corp-ldap}.
     *
     * @return the id
     */
    String id();

    /**
     * Checks a username and password.
     *
     * @param username the login name
     * @param password the password; the caller clears the array afterwards
     * @return the identity when the credentials are valid, empty otherwise
     */
    Optional<Identity> authenticate(String username, char[] password);

    /**
     * Looks a person up without authenticating them.
     *
     * @param username the login name
     * @return the identity, or empty when unknown
     */
    default Optional<Identity> lookup(String username) {
        return Optional.empty();
    }
}
