package dev.shepherd.plugins.threat.defender;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Defender's documented rate limits (100 calls a minute and 1,500 an hour per API), kept on this side so the plugin
 * stops before Defender answers 429: the calls of the last minute and hour, in sliding windows.
 */
final class CallBudget {

    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final Duration HOUR = Duration.ofHours(1);

    private final int perMinute;
    private final int perHour;
    private final Clock clock;
    private final Deque<Instant> calls = new ArrayDeque<>();

    CallBudget(int perMinute, int perHour, Clock clock) {
        this.perMinute = perMinute;
        this.perHour = perHour;
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** @return empty when a call may be made now (and counts it), else how long until one may */
    synchronized Optional<Duration> take() {
        Optional<Duration> wait = waitNeeded();
        if (wait.isEmpty()) {
            calls.addLast(clock.instant());
        }
        return wait;
    }

    /** @return whether a call may be made now, without counting one */
    synchronized boolean available() {
        return waitNeeded().isEmpty();
    }

    private Optional<Duration> waitNeeded() {
        Instant now = clock.instant();
        while (!calls.isEmpty() && !calls.peekFirst().isAfter(now.minus(HOUR))) {
            calls.removeFirst();
        }
        if (calls.size() >= perHour) {
            return Optional.of(Duration.between(now, calls.peekFirst().plus(HOUR)));
        }
        int inLastMinute = 0;
        Instant oldestInMinute = null;
        for (var iterator = calls.descendingIterator(); iterator.hasNext(); ) {
            Instant call = iterator.next();
            if (!call.isAfter(now.minus(MINUTE))) {
                break;
            }
            inLastMinute++;
            oldestInMinute = call;
        }
        if (inLastMinute >= perMinute) {
            return Optional.of(Duration.between(now, oldestInMinute.plus(MINUTE)));
        }
        return Optional.empty();
    }
}
