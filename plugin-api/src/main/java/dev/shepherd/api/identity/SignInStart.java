package dev.shepherd.api.identity;

import java.net.URI;

import static java.util.Objects.requireNonNull;

/**
 * Where a {@link SignInProvider} sends the browser, and what it needs to remember until the browser comes back.
 *
 * @param authorizationUri the identity provider's page the browser is sent to
 * @param pending an opaque secret (a PKCE code verifier and a nonce, for example) the kernel keeps server-side and
 *        gives back to {@link SignInProvider#complete}; at most 4,000 characters. It never reaches the browser
 * @since 0.11.0
 */
public record SignInStart(URI authorizationUri, String pending) {

    /** The most characters a pending secret may have. @since 0.11.0 */
    public static final int MAX_PENDING = 4000;

    /** Checks every part is present and the pending secret is small enough to keep. */
    public SignInStart {
        requireNonNull(authorizationUri, "authorizationUri is null");
        requireNonNull(pending, "pending is null");
        if (pending.length() > MAX_PENDING) {
            throw new IllegalArgumentException("pending is longer than " + MAX_PENDING + " characters");
        }
    }

    @Override
    public String toString() {
        return "SignInStart[authorizationUri=" + authorizationUri + "]";
    }
}
