package dev.shepherd.api.appstore;

import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A store could not answer. Its message is shown to admins as it is, so it says what went wrong in their words and
 * never carries a secret.
 *
 * @since 0.8.0
 */
public class AppStoreException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Whether trying again later may succeed. */
    private final boolean retryable;
    /** How long the store asked callers to wait, when it said; kept as seconds to stay serializable. */
    private final long retryAfterSeconds;

    /**
     * A failure that trying again will not fix (a revoked token, an app the store no longer offers).
     *
     * @param message what went wrong, for an admin
     * @since 0.8.0
     */
    public AppStoreException(String message) {
        this(message, false, Optional.empty(), null);
    }

    /**
     * A failure, with whether trying again may help and how long to wait.
     *
     * @param message what went wrong, for an admin
     * @param retryable whether trying again later may succeed (the store was unreachable, busy or rate-limiting)
     * @param retryAfter how long the store asked callers to wait, when it said
     * @param cause the underlying failure, or null
     * @since 0.8.0
     */
    public AppStoreException(String message, boolean retryable, Optional<Duration> retryAfter, Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        requireNonNull(retryAfter, "retryAfter is null");
        if (message.isBlank()) {
            throw new IllegalArgumentException("message is blank");
        }
        if (retryAfter.isPresent() && retryAfter.get().isNegative()) {
            throw new IllegalArgumentException("retryAfter is negative: " + retryAfter.get());
        }
        if (retryAfter.isPresent() && !retryable) {
            throw new IllegalArgumentException("only a retryable failure has a retry delay");
        }
        this.retryable = retryable;
        this.retryAfterSeconds = retryAfter.map(Duration::toSeconds).orElse(-1L);
    }

    /**
     * A failure that may pass: the store was unreachable, busy or rate-limiting.
     *
     * @param message what went wrong, for an admin
     * @param retryAfter how long the store asked callers to wait, when it said
     * @return the exception
     * @since 0.8.0
     */
    public static AppStoreException retryable(String message, Optional<Duration> retryAfter) {
        return new AppStoreException(message, true, retryAfter, null);
    }

    /**
     * Whether trying again later may succeed.
     *
     * @return true when the failure may pass
     * @since 0.8.0
     */
    public boolean retryable() {
        return retryable;
    }

    /**
     * How long the store asked callers to wait before trying again.
     *
     * @return the delay, when the store gave one
     * @since 0.8.0
     */
    public Optional<Duration> retryAfter() {
        return retryAfterSeconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(retryAfterSeconds));
    }
}
