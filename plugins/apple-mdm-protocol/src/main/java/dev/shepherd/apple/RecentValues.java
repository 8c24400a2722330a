package dev.shepherd.apple;

import dev.shepherd.api.config.PluginStorage;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Values of the plugin's storage read on most messages and almost never changed, kept for a short while so that a
 * device's messages in a burst cost one read, not one each. The storage is shared by every node: what this node writes
 * through here is seen here at once, what another node writes is seen here at most {@code freshFor} later, which the
 * caller must be able to bear. Absent values are kept too. Bounded; the least recently used go first.
 */
final class RecentValues {

    /** A value as read (the read began then) or written here at a moment; empty for absent. */
    private record Read(Optional<byte[]> value, Instant at, boolean written) {
    }

    private final PluginStorage storage;
    private final Duration freshFor;
    private final Clock clock;
    private final Map<String, Read> reads;

    /**
     * @param freshFor how long a value read is used without reading it again; zero to read every time
     * @param maxEntries how many keys are kept at most
     */
    RecentValues(PluginStorage storage, Duration freshFor, int maxEntries, Clock clock) {
        this.storage = requireNonNull(storage, "storage is null");
        this.freshFor = requireNonNull(freshFor, "freshFor is null");
        this.clock = requireNonNull(clock, "clock is null");
        if (freshFor.isNegative() || maxEntries < 1) {
            throw new IllegalArgumentException("freshFor must not be negative, maxEntries at least 1");
        }
        this.reads = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Read> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /** The value under the key, read from the storage unless read here less than {@code freshFor} ago. */
    Optional<byte[]> get(String key) {
        Instant now = clock.instant();
        synchronized (reads) {
            Read read = reads.get(key);
            if (read != null && now.isBefore(read.at().plus(freshFor))) {
                return read.value();
            }
        }
        return getFresh(key);
    }

    /** Writes the value to the storage, and keeps it. */
    void put(String key, byte[] value) {
        storage.put(key, value);
        remember(key, Optional.of(value.clone()), clock.instant(), true);
    }

    /** The value under the key as the storage has it now, read whatever is kept; what is kept is renewed with it. */
    Optional<byte[]> getFresh(String key) {
        Instant now = clock.instant();
        Optional<byte[]> value = storage.get(key);
        remember(key, value, now, false);
        return value;
    }

    /**
     * @param at when the value was read (the read began then) or written
     * @param written whether this node has just written it, which no read that began earlier may replace
     */
    private void remember(String key, Optional<byte[]> value, Instant at, boolean written) {
        if (freshFor.isZero()) {
            return;
        }
        synchronized (reads) {
            // A read that began before a write here finished must not put the older value back.
            Read known = reads.get(key);
            if (written || known == null || !known.written() || known.at().isBefore(at)) {
                reads.put(key, new Read(value, at, written));
            }
        }
    }
}
