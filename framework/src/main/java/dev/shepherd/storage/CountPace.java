package dev.shepherd.storage;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * When a count over a table that only grows (commands kept for the record) may run again: no sooner than a maximum age
 * after the last one started, and no sooner than {@value #COST_MULTIPLE} times as long as the last one took. So a
 * count that is asked for on every scrape or dashboard request costs at most a twentieth of a core, whatever the
 * table's size; in between, the caller keeps the last count. The caller serialises its counts (one runs at a time).
 */
public final class CountPace {

    /** A count stands at least this many times as long as it took. */
    public static final int COST_MULTIPLE = 20;

    private final long maxAgeNanos;
    private final LongSupplier nanoTime;
    private long nextAt;
    private boolean counted;

    /**
     * @param maxAge how old a count may get before the next one runs
     * @param nanoTime the ticker that paces the counts ({@link System#nanoTime}, a test's)
     */
    public CountPace(Duration maxAge, LongSupplier nanoTime) {
        this.maxAgeNanos = requireNonNull(maxAge, "maxAge is null").toNanos();
        this.nanoTime = requireNonNull(nanoTime, "nanoTime is null");
    }

    /**
     * @return the ticker's reading to hand to {@link #finished} when a count is due now; empty while the last count
     *         stands
     */
    public OptionalLong startIfDue() {
        long now = nanoTime.getAsLong();
        if (counted && now - nextAt < 0) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(now);
    }

    /** Records that the count started at {@code startedAt} ended, whether it succeeded or not (a failure is paced too). */
    public void finished(long startedAt) {
        long took = nanoTime.getAsLong() - startedAt;
        counted = true;
        nextAt = startedAt + Math.max(maxAgeNanos, took * COST_MULTIPLE);
    }
}
