package dev.shepherd.plugins.windows.entra;

import static java.util.Objects.requireNonNull;

/** Why an Entra access token was not accepted; the message names the check that failed, never the token. */
public final class EntraTokenException extends RuntimeException {

    /** The kind of refusal, which decides the answer the device gets. */
    public enum Reason {
        /** Malformed, badly signed, expired, for another audience or from an unexpected issuer. */
        INVALID,
        /** A valid-looking token from a tenant that may not enroll here. */
        TENANT_NOT_ALLOWED,
        /** Entra's OpenID configuration or keys could not be read. */
        UNAVAILABLE
    }

    private final Reason reason;

    public EntraTokenException(Reason reason, String message) {
        super(message);
        this.reason = requireNonNull(reason, "reason is null");
    }

    public Reason reason() {
        return reason;
    }
}
