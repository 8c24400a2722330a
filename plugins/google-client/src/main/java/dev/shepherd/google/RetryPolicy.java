package dev.shepherd.google;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * How hard one call to Google tries: throttling (429), Google's own trouble (5xx) and network errors are tried again
 * up to {@code maxAttempts} times, waiting out Google's {@code Retry-After} or else backing off exponentially.
 *
 * @param maxAttempts tries per call, at least 1; a renewal of the access token after a 401 is not counted
 * @param firstBackoff the wait after the first failed try, doubled after each further one (at most {@link #MAX_BACKOFF})
 * @param maxRetryAfter the longest {@code Retry-After} waited out within a call; a longer one ends the call as a
 *        retriable failure, leaving the work to a later round rather than holding a thread for it
 * @param timeout how long one request (the token request included) may take
 */
public record RetryPolicy(int maxAttempts, Duration firstBackoff, Duration maxRetryAfter, Duration timeout) {

    /** The longest backoff between two tries. */
    public static final Duration MAX_BACKOFF = Duration.ofMinutes(1);

    /** Validates every part. */
    public RetryPolicy {
        requireNonNull(firstBackoff, "firstBackoff is null");
        requireNonNull(maxRetryAfter, "maxRetryAfter is null");
        requireNonNull(timeout, "timeout is null");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be positive");
        }
        if (firstBackoff.isNegative() || maxRetryAfter.isNegative()) {
            throw new IllegalArgumentException("firstBackoff and maxRetryAfter must not be negative");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
    }

    /**
     * One try (plus the token renewal a 401 asks for), for calls someone waits for: a request thread must not sit
     * out a backoff.
     *
     * @param timeout how long the request may take
     * @return the policy
     */
    public static RetryPolicy once(Duration timeout) {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, timeout);
    }

    /**
     * @param attempt the try that failed, from 1
     * @return how long to wait before the next one
     */
    public Duration backoff(int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be positive");
        }
        Duration delay = firstBackoff.multipliedBy(1L << Math.min(attempt - 1, 20));
        return delay.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : delay;
    }
}
