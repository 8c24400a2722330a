package dev.shepherd.plugins.appstore.apple;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * Apple's Apps and Books service refused a request, kept failing through every try, or could not be reached. The
 * message is written for admins and names Apple's error number where Apple gave one.
 */
public final class VppException extends Exception {

    /** {@code 9601}: login required (the token is unknown). */
    public static final int LOGIN_REQUIRED = 9601;
    /** {@code 9602}: invalid argument. */
    public static final int INVALID_ARGUMENT = 9602;
    /** {@code 9609}: Apple has no such (active) user. */
    public static final int REGISTERED_USER_NOT_FOUND = 9609;
    /** {@code 9621}: the token has expired. */
    public static final int TOKEN_EXPIRED = 9621;
    /** {@code 9625}: the server has revoked the token. */
    public static final int TOKEN_REVOKED = 9625;
    /** {@code 9646}: too many requests for the organisation. */
    public static final int TOO_MANY_REQUESTS = 9646;
    /** {@code 9709}: not enough licences left for the association. */
    public static final int NOT_ENOUGH_LICENCES = 9709;

    private final int httpStatus;
    private final OptionalInt errorNumber;
    private final boolean retriable;
    private final Optional<Duration> retryAfter;

    /**
     * @param message what went wrong, for admins
     * @param httpStatus the HTTP status Apple answered, 0 when it was not reached
     * @param errorNumber Apple's {@code errorNumber}, when it gave one
     * @param retriable whether the same request may succeed later
     * @param retryAfter how long Apple asked to wait, when it did
     */
    public VppException(String message, int httpStatus, OptionalInt errorNumber, boolean retriable, Optional<Duration> retryAfter) {
        super(requireNonNull(message, "message is null"));
        this.httpStatus = httpStatus;
        this.errorNumber = requireNonNull(errorNumber, "errorNumber is null");
        this.retriable = retriable;
        this.retryAfter = requireNonNull(retryAfter, "retryAfter is null");
    }

    /** @return the HTTP status Apple answered, 0 when it was not reached */
    public int httpStatus() {
        return httpStatus;
    }

    /** @return Apple's {@code errorNumber}, when it gave one */
    public OptionalInt errorNumber() {
        return errorNumber;
    }

    /** @return whether the same request may succeed later */
    public boolean retriable() {
        return retriable;
    }

    /** @return how long Apple asked to wait before the next request, when it did */
    public Optional<Duration> retryAfter() {
        return retryAfter;
    }

    /** @return whether Apple no longer accepts the content token (unknown, expired or revoked): an admin must upload a new one */
    public boolean tokenRejected() {
        return httpStatus == 401;
    }
}
