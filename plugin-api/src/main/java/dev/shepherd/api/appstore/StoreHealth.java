package dev.shepherd.api.appstore;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Whether an app store can be used now, as its connector knows without a remote call.
 *
 * @since 0.8.0
 */
public sealed interface StoreHealth permits StoreHealth.Ready, StoreHealth.NotConfigured, StoreHealth.Failing {

    /**
     * The store is configured and its last call succeeded (or none was made yet).
     *
     * @return the health
     * @since 0.8.0
     */
    static StoreHealth ready() {
        return new Ready();
    }

    /**
     * The store cannot be used until an admin configures it.
     *
     * @param reason what is missing, in words an admin can act on
     * @return the health
     * @since 0.8.0
     */
    static StoreHealth notConfigured(String reason) {
        return new NotConfigured(reason);
    }

    /**
     * The store is configured but its calls fail.
     *
     * @param reason the last failure, in words an admin can act on
     * @param since when the failures began
     * @return the health
     * @since 0.8.0
     */
    static StoreHealth failing(String reason, Instant since) {
        return new Failing(reason, since);
    }

    /**
     * Why the store cannot be used.
     *
     * @return the reason, or empty when the store is ready
     * @since 0.8.0
     */
    default Optional<String> problem() {
        if (this instanceof NotConfigured notConfigured) {
            return Optional.of(notConfigured.reason());
        }
        if (this instanceof Failing failing) {
            return Optional.of(failing.reason());
        }
        return Optional.empty();
    }

    /**
     * The store is configured and its last call succeeded (or none was made yet).
     *
     * @since 0.8.0
     */
    record Ready() implements StoreHealth {
    }

    /**
     * The store cannot be used until an admin configures it (for example a content token is missing).
     *
     * @param reason what is missing, in words an admin can act on
     * @since 0.8.0
     */
    record NotConfigured(String reason) implements StoreHealth {

        /** Validates every part. */
        public NotConfigured {
            requireNonNull(reason, "reason is null");
            if (reason.isBlank()) {
                throw new IllegalArgumentException("reason is blank");
            }
        }
    }

    /**
     * The store is configured but its calls fail.
     *
     * @param reason the last failure, in words an admin can act on
     * @param since when the failures began
     * @since 0.8.0
     */
    record Failing(String reason, Instant since) implements StoreHealth {

        /** Validates every part. */
        public Failing {
            requireNonNull(reason, "reason is null");
            requireNonNull(since, "since is null");
            if (reason.isBlank()) {
                throw new IllegalArgumentException("reason is blank");
            }
        }
    }
}
