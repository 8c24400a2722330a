package dev.shepherd.api.threat;

import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A threat-defense vendor could not answer now: refused credentials, an outage, throttling. The kernel records the
 * failure in the connector's health, backs off (at least as long as {@link #retryAfter()} when the vendor said so)
 * and keeps the devices' last verdicts, which go stale when the outage lasts.
 *
 * @since 0.12.0
 */
public class ThreatDefenseException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient Optional<Duration> retryAfter;

    /**
     * @param message what failed, in words an admin can act on; never a secret
     */
    public ThreatDefenseException(String message) {
        this(message, null, Optional.empty());
    }

    /**
     * @param message what failed, in words an admin can act on; never a secret
     * @param cause the underlying failure
     */
    public ThreatDefenseException(String message, Throwable cause) {
        this(message, cause, Optional.empty());
    }

    /**
     * @param message what failed, in words an admin can act on; never a secret
     * @param retryAfter how long the vendor asked to wait (HTTP 429 or 503 with {@code Retry-After})
     */
    public ThreatDefenseException(String message, Duration retryAfter) {
        this(message, null, Optional.of(requireNonNull(retryAfter, "retryAfter is null")));
    }

    private ThreatDefenseException(String message, Throwable cause, Optional<Duration> retryAfter) {
        super(requireNonNull(message, "message is null"), cause);
        this.retryAfter = retryAfter;
    }

    /**
     * @return how long the vendor asked to wait before the next call, when it said
     */
    public Optional<Duration> retryAfter() {
        return retryAfter;
    }
}
