package dev.shepherd.storage;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;

import static java.util.Objects.requireNonNull;

/**
 * A clock read to the microsecond, the finest time PostgreSQL keeps (Derby keeps nanoseconds): a time the kernel
 * stores reads back equal from either engine. ({@code Clock.tick} with a microsecond cannot serve: Java 17's tick
 * clock divides by zero in {@code millis()} for ticks under a millisecond.)
 */
public final class MicrosecondClock extends Clock {

    private final Clock source;

    private MicrosecondClock(Clock source) {
        this.source = source;
    }

    /** @return {@code source} read to the microsecond; {@code source} itself when it is such a clock already */
    public static Clock of(Clock source) {
        requireNonNull(source, "source is null");
        return source instanceof MicrosecondClock ? source : new MicrosecondClock(source);
    }

    @Override
    public Instant instant() {
        return source.instant().truncatedTo(ChronoUnit.MICROS);
    }

    @Override
    public long millis() {
        return source.millis();
    }

    @Override
    public ZoneId getZone() {
        return source.getZone();
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return new MicrosecondClock(source.withZone(zone));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MicrosecondClock clock && clock.source.equals(source);
    }

    @Override
    public int hashCode() {
        return source.hashCode() ^ 0x4d6963;
    }

    @Override
    public String toString() {
        return "MicrosecondClock[" + source + "]";
    }
}
