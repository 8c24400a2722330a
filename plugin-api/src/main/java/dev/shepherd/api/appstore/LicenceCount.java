package dev.shepherd.api.appstore;

/**
 * An app's licence pool as the store reports it.
 *
 * @param total the licences the organisation holds
 * @param assigned how many of them are assigned to devices or users
 * @since 0.8.0
 */
public record LicenceCount(long total, long assigned) {

    /** Validates every part. */
    public LicenceCount {
        if (total < 0) {
            throw new IllegalArgumentException("total is negative: " + total);
        }
        if (assigned < 0) {
            throw new IllegalArgumentException("assigned is negative: " + assigned);
        }
    }

    /**
     * The licences still free. A store may report more assigned than held (licences taken back from the
     * organisation while still assigned); none are free then.
     *
     * @return {@code total - assigned}, at least 0
     * @since 0.8.0
     */
    public long available() {
        return Math.max(0, total - assigned);
    }
}
