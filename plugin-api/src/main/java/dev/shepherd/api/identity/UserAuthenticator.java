package dev.shepherd.api.identity;

import java.util.Optional;

/**
 * Signs users in with their organisation password, for platforms whose enrollment asks for it (Windows' on-premises
 * authentication, for example). The password is checked by the running {@link IdentityProvider} plugins in turn; the
 * first that accepts it wins. The user is then looked up in, or added to, the server's directory, so that the device
 * can be assigned to them. Injectable into any extension.
 */
public interface UserAuthenticator {

    /**
     * @param username the login name the user typed, often their e-mail address
     * @param password the password; the caller clears the array afterwards
     * @return the user when an identity provider accepts the password, empty otherwise (and when no identity provider
     *         plugin is running)
     */
    Optional<SignedInUser> authenticate(String username, char[] password);

    /**
     * A user whose password an identity provider accepted.
     *
     * @param directoryUserId the user's id in the server's directory, for {@link dev.shepherd.api.device.EnrollmentClaim#userId()}
     * @param identity who the identity provider says they are
     */
    record SignedInUser(String directoryUserId, Identity identity) {
        public SignedInUser {
            java.util.Objects.requireNonNull(directoryUserId, "directoryUserId is null");
            java.util.Objects.requireNonNull(identity, "identity is null");
        }
    }
}
