package dev.shepherd.api.appstore;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What a store answered when asked for a device's licence.
 *
 * @since 0.8.0
 */
public sealed interface LicenceOutcome
        permits LicenceOutcome.Assigned, LicenceOutcome.NotRequired, LicenceOutcome.Exhausted, LicenceOutcome.Refused {

    /**
     * A licence is assigned (or already was).
     *
     * @param reference the store's reference of the assignment, when it has one
     * @return the outcome
     * @since 0.8.0
     */
    static LicenceOutcome assigned(Optional<String> reference) {
        return new Assigned(reference);
    }

    /**
     * The app needs no licence.
     *
     * @return the outcome
     * @since 0.8.0
     */
    static LicenceOutcome notRequired() {
        return new NotRequired();
    }

    /**
     * The organisation has no free licence left.
     *
     * @param reason what the store said, in words an admin can act on
     * @return the outcome
     * @since 0.8.0
     */
    static LicenceOutcome exhausted(String reason) {
        return new Exhausted(reason);
    }

    /**
     * The store refused the assignment for another reason (an unknown serial number, a retired app).
     *
     * @param reason what the store said, in words an admin can act on
     * @return the outcome
     * @since 0.8.0
     */
    static LicenceOutcome refused(String reason) {
        return new Refused(reason);
    }

    /**
     * Whether the device may install the app now.
     *
     * @return true when a licence is assigned or none is needed
     * @since 0.8.0
     */
    default boolean permitsInstall() {
        return this instanceof Assigned || this instanceof NotRequired;
    }

    /**
     * Why the device may not install the app.
     *
     * @return the reason, or empty when it may
     * @since 0.8.0
     */
    default Optional<String> failure() {
        if (this instanceof Exhausted exhausted) {
            return Optional.of(exhausted.reason());
        }
        if (this instanceof Refused refused) {
            return Optional.of(refused.reason());
        }
        return Optional.empty();
    }

    /**
     * A licence is assigned (or already was).
     *
     * @param reference the store's reference of the assignment, when it has one
     * @since 0.8.0
     */
    record Assigned(Optional<String> reference) implements LicenceOutcome {

        /** Validates every part. */
        public Assigned {
            requireNonNull(reference, "reference is null");
        }
    }

    /**
     * The app needs no licence.
     *
     * @since 0.8.0
     */
    record NotRequired() implements LicenceOutcome {
    }

    /**
     * The organisation has no free licence left.
     *
     * @param reason what the store said, in words an admin can act on
     * @since 0.8.0
     */
    record Exhausted(String reason) implements LicenceOutcome {

        /** Validates every part. */
        public Exhausted {
            requireReason(reason);
        }
    }

    /**
     * The store refused the assignment for another reason.
     *
     * @param reason what the store said, in words an admin can act on
     * @since 0.8.0
     */
    record Refused(String reason) implements LicenceOutcome {

        /** Validates every part. */
        public Refused {
            requireReason(reason);
        }
    }

    private static void requireReason(String reason) {
        requireNonNull(reason, "reason is null");
        if (reason.isBlank()) {
            throw new IllegalArgumentException("a failure needs a reason");
        }
    }
}
