package dev.shepherd.command;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * Command identifiers in the UUID version 7 layout (RFC 9562): a millisecond timestamp, a counter, then random
 * bits. Devices see an ordinary UUID; the store sees keys that ascend in issue order, so the primary key grows at
 * its end and (priority, id) is the delivery order. Identifiers from one generator strictly increase.
 */
final class CommandIds {

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private long lastMostSignificant;

    CommandIds(Clock clock) {
        this.clock = requireNonNull(clock, "clock is null");
    }

    synchronized UUID next() {
        long candidate = (clock.millis() << 16) | 0x7000L;
        // Same millisecond (or a clock step back): count on in the 12-bit field, spilling into the timestamp.
        long mostSignificant = candidate > lastMostSignificant ? candidate : nextAfter(lastMostSignificant);
        lastMostSignificant = mostSignificant;
        return new UUID(mostSignificant, randomLow());
    }

    /** An id that sorts exactly where its batch does: the batch's time and counter, fresh random bits. */
    UUID inBatch(UUID batchId) {
        return new UUID(batchId.getMostSignificantBits(), randomLow());
    }

    private static long nextAfter(long previous) {
        long counter = previous & 0x0FFFL;
        if (counter < 0x0FFFL) {
            return previous + 1;
        }
        return (((previous >>> 16) + 1) << 16) | 0x7000L;
    }

    private long randomLow() {
        return (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    }
}
