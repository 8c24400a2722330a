package dev.shepherd.api.identity;

import java.net.URI;

import static java.util.Objects.requireNonNull;

/**
 * What the kernel tells a {@link SignInProvider} about one sign-in.
 *
 * @param redirectUri the server's callback address, where the identity provider must send the browser back to (the
 *        same for every provider: register it with the identity provider)
 * @param state the random value the kernel made for this sign-in; the provider must send it to the identity provider
 *        so that it comes back on the callback
 * @since 0.11.0
 */
public record SignInRequest(URI redirectUri, String state) {

    /** Checks every part is present. */
    public SignInRequest {
        requireNonNull(redirectUri, "redirectUri is null");
        requireNonNull(state, "state is null");
    }

    @Override
    public String toString() {
        return "SignInRequest[redirectUri=" + redirectUri + "]";
    }
}
