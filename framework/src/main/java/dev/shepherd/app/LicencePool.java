package dev.shepherd.app;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * An app's licences as its store last reported them.
 *
 * @param total the licences the organisation holds
 * @param assigned how many are assigned
 * @param available how many are free
 * @param reportedAt when the store reported them
 */
public record LicencePool(long total, long assigned, long available, Instant reportedAt) {
    public LicencePool {
        requireNonNull(reportedAt, "reportedAt is null");
    }
}
