package dev.shepherd.enrollment;

import static java.util.Objects.requireNonNull;

/**
 * A newly created enrollment token together with its secret, which is shown this once and then only its hash
 * is kept.
 *
 * @param token the token
 * @param secret the secret devices present
 */
public record IssuedEnrollmentToken(EnrollmentToken token, String secret) {
    public IssuedEnrollmentToken {
        requireNonNull(token, "token is null");
        requireNonNull(secret, "secret is null");
    }

    @Override
    public String toString() {
        return "IssuedEnrollmentToken[token=" + token + ", secret=(hidden)]";
    }
}
