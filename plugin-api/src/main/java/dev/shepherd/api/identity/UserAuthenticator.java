package dev.shepherd.api.identity;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

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
     * Redeems the one-time code the server's enrollment sign-in page ({@value #ENROLLMENT_SIGN_IN_PATH}) hands to a
     * device's enrollment client once the user signed in there with their directory account: Windows' federated
     * enrollment (MS-MDE2 section 3.2) opens the page in its web authentication broker and sends the code back as the
     * security token of its enrollment request. A code works once, for about ten minutes.
     *
     * @param code the code as the client presented it
     * @return the user who signed in, when the code is known, unused and unexpired, and the user is still active
     * @since 0.11.0
     */
    default Optional<SignedInUser> redeemSignInCode(String code) {
        return Optional.empty();
    }

    /**
     * Checks a code as {@link #redeemSignInCode} would, without using it up: for the requests a client makes with it
     * before the one it enrolls with (Windows' certificate policy request, for example).
     *
     * @param code the code as the client presented it
     * @return the user who signed in, when the code would be redeemed now
     * @since 0.11.0
     */
    default Optional<SignedInUser> checkSignInCode(String code) {
        return Optional.empty();
    }

    /**
     * Where the server serves its enrollment sign-in page, below its public URL. Clients add {@code appru} (an
     * {@code ms-app://} address the page's answer is posted to) and {@code login_hint}. Apple's account-driven
     * enrollment opens it with {@code client=apple} and {@code link} (the secret of an enrollment link that asks for the
     * user's sign-in), the device adding {@code user-identifier}; the page then redirects to
     * {@code apple-remotemanagement-user-login://authentication-results?access-token=} with a one-time enrollment token
     * of the signed-in person's own, spent from that link, which the platform plugin checks with
     * {@link dev.shepherd.api.device.DeviceRegistry#checkEnrollmentToken} and enrolls the device with.
     *
     * @since 0.11.0
     */
    String ENROLLMENT_SIGN_IN_PATH = "/enroll/sign-in";

    /**
     * A user whose password an identity provider accepted.
     *
     * @param directoryUserId the user's id in the server's directory, for {@link dev.shepherd.api.device.EnrollmentClaim#userId()}
     * @param identity who the identity provider says they are
     */
    record SignedInUser(String directoryUserId, Identity identity) {
        /** Checks both parts are present. */
        public SignedInUser {
            requireNonNull(directoryUserId, "directoryUserId is null");
            requireNonNull(identity, "identity is null");
        }
    }
}
