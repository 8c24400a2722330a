package dev.shepherd.plugin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Decides whether a plugin generation is in service, from how its calls end. One request that fails is that
 * request's failure; a plugin whose calls keep failing is broken, and calling it again only costs threads and the
 * callers' time.
 *
 * <ul>
 *     <li>CLOSED: every call goes through. {@code failureThreshold} failed calls in a row (a call that returns,
 *     or refuses its input on purpose, resets the count) or one call that hangs past the call timeout opens it.</li>
 *     <li>OPEN: every call is refused at once, until the cool-down has passed.</li>
 *     <li>HALF_OPEN: after the cool-down the next call goes through as a trial while the others are still refused;
 *     the trial succeeding closes the breaker, failing opens it again for another cool-down.</li>
 * </ul>
 */
final class CircuitBreaker {

    /** Where the breaker stands. */
    enum State { CLOSED, OPEN, HALF_OPEN }

    /** What {@link #admit()} let a call do. */
    enum Admission {
        /** An ordinary call, the breaker being closed. */
        CALL,
        /** The one trial call after a cool-down. */
        TRIAL,
        /** Refused: the plugin is out of service. */
        REFUSED
    }

    /**
     * @param failureThreshold failed calls in a row that open the breaker
     * @param coolDown how long the breaker stays open before a trial call
     */
    record Settings(int failureThreshold, Duration coolDown) {
        Settings {
            if (failureThreshold < 1) {
                throw new IllegalArgumentException("failureThreshold must be at least 1");
            }
            requireNonNull(coolDown, "coolDown is null");
            if (coolDown.isNegative()) {
                throw new IllegalArgumentException("coolDown must not be negative");
            }
        }

        static final Settings DEFAULTS = new Settings(5, Duration.ofSeconds(30));
    }

    /**
     * A snapshot for operators.
     *
     * @param state where the breaker stands
     * @param failuresInARow failed calls since the last success
     * @param reason what opened it, while it is not closed
     * @param retryAt when the next trial call may go through, while it is not closed
     */
    record Status(State state, int failuresInARow, Optional<String> reason, Optional<Instant> retryAt) {
    }

    private final Settings settings;
    private final Clock clock;
    private State state = State.CLOSED;
    private int failuresInARow;
    private String reason;
    private Instant retryAt;

    CircuitBreaker(Settings settings, Clock clock) {
        this.settings = requireNonNull(settings, "settings is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Asks to make a call; a {@link Admission#TRIAL} must be followed by exactly one of the outcomes below. */
    synchronized Admission admit() {
        return switch (state) {
            case CLOSED -> Admission.CALL;
            case HALF_OPEN -> Admission.REFUSED; // the trial is under way
            case OPEN -> {
                if (clock.instant().isBefore(retryAt)) {
                    yield Admission.REFUSED;
                }
                state = State.HALF_OPEN;
                yield Admission.TRIAL;
            }
        };
    }

    /** A call returned (or refused its input on purpose): the plugin works. */
    synchronized void succeeded(Admission admission) {
        if (admission == Admission.TRIAL || state == State.CLOSED) {
            state = State.CLOSED;
            failuresInARow = 0;
            reason = null;
            retryAt = null;
        }
    }

    /**
     * A call threw or hung.
     *
     * @param severe a hang: it opens the breaker at once, whatever the count
     * @return true when this failure opened the breaker
     */
    synchronized boolean failed(Admission admission, String failure, boolean severe) {
        requireNonNull(failure, "failure is null");
        failuresInARow++;
        boolean opens = admission == Admission.TRIAL
                || (state == State.CLOSED && (severe || failuresInARow >= settings.failureThreshold()));
        if (opens) {
            state = State.OPEN;
            reason = severe || failuresInARow == 1 ? failure
                    : failuresInARow + " calls failed in a row, the last: " + failure;
            retryAt = clock.instant().plus(settings.coolDown());
        }
        return opens;
    }

    /** A call neither succeeded nor failed (the plugin was busy, or the caller gave up waiting): a trial may be retried. */
    synchronized void abandoned(Admission admission) {
        if (admission == Admission.TRIAL && state == State.HALF_OPEN) {
            state = State.OPEN;
            retryAt = clock.instant();
        }
    }

    synchronized Status status() {
        return new Status(state, failuresInARow, Optional.ofNullable(reason), Optional.ofNullable(retryAt));
    }
}
