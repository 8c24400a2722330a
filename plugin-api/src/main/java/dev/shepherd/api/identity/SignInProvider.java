package dev.shepherd.api.identity;

import dev.shepherd.api.http.RequestRefusedException;
import org.pf4j.ExtensionPoint;

import java.util.Map;

/**
 * Interactive, browser-redirect sign-in ("Sign in with Okta"): the console and the self-service portal show a button
 * for every running provider. The kernel owns the sign-in flow and the sessions; the plugin owns the protocol (OpenID
 * Connect, SAML, …).
 *
 * <p>A sign-in goes: the kernel makes a random {@code state} and calls {@link #begin}; the plugin answers where to send
 * the browser and an opaque {@linkplain SignInStart#pending() pending secret} (a PKCE verifier, a nonce). The kernel
 * keeps that secret server-side, bound to the browser by a short-lived cookie, and sends the browser away. When the
 * browser comes back to the callback, the kernel checks the cookie, that the flow is unused and unexpired, and that
 * the callback's {@code state} is the one it made; only then does it call {@link #complete} with the callback's
 * parameters and the pending secret. What the identity's groups then open (a console role, a portal session) the
 * kernel decides.
 *
 * @since 0.11.0
 */
public interface SignInProvider extends ExtensionPoint {

    /**
     * The provider's id, unique among sign-in providers: lower-case letters, digits and {@code -}, starting with a
     * letter, at most 63 characters. It names the provider in the sign-in route, in role mappings, and as the
     * provider of the admin accounts and directory users its sign-ins create.
     *
     * @return the id, such as {@code okta}
     * @since 0.11.0
     */
    String id();

    /**
     * The button's words.
     *
     * @return a short label such as {@code Sign in with Okta}
     * @since 0.11.0
     */
    String displayName();

    /**
     * Whether the sign-in pages offer this provider's button now. A plugin that is installed but not set up yet (no
     * identity provider configured) answers false, so nobody is offered a sign-in that cannot work.
     *
     * @return true unless the provider cannot sign anyone in
     * @since 0.11.0
     */
    default boolean available() {
        return true;
    }

    /**
     * Starts a sign-in.
     *
     * @param request where the browser must come back to, and the state to carry there
     * @return where to send the browser, and the secret to give back to {@link #complete}
     * @throws RequestRefusedException (503) when the provider cannot start a sign-in now, its identity provider
     *         being unreachable for example; the message is shown to the person signing in
     * @since 0.11.0
     */
    SignInStart begin(SignInRequest request);

    /**
     * Finishes a sign-in. The kernel has already checked the callback's {@code state}, so the plugin checks the rest
     * of the protocol (exchanging the code, validating the tokens it gets).
     *
     * @param request the same redirect address and state as {@link #begin} had
     * @param callbackParameters the query parameters the browser brought back (such as {@code code}, or {@code error})
     * @param pending the secret {@link #begin} returned
     * @return who signed in, with their groups
     * @throws RequestRefusedException (401) when the sign-in is refused: an error from the identity provider, a token
     *         that fails validation, a nonce that does not match. Its message is shown to the person signing in and
     *         written to the audit log, so it says why in plain words and holds no secret (no token, no code). Any
     *         other exception counts as the plugin failing
     * @since 0.11.0
     */
    Identity complete(SignInRequest request, Map<String, String> callbackParameters, String pending);
}
