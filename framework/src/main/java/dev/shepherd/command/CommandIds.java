package dev.shepherd.command;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * Command identifiers in the UUID version 7 layout (RFC 9562): a millisecond timestamp, then random bits. Devices
 * see an ordinary UUID; the store sees keys that arrive in nearly ascending order, so queuing a command for a
 * hundred thousand devices appends to the primary-key index instead of scattering writes across it.
 */
final class CommandIds {

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    CommandIds(Clock clock) {
        this.clock = requireNonNull(clock, "clock is null");
    }

    UUID next() {
        long millis = clock.millis();
        long randomA = random.nextInt(1 << 12);
        long mostSignificant = (millis << 16) | 0x7000L | randomA;
        long leastSignificant = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(mostSignificant, leastSignificant);
    }
}
