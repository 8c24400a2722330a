package dev.shepherd.metrics;

import dev.shepherd.api.command.CommandState;
import dev.shepherd.storage.CountPace;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * The command queue as gauges, read from the store: commands by state ({@code shepherd_commands}), the queue's
 * depth ({@code shepherd_command_queue_depth}: commands waiting for their device, fan-out rows not yet written
 * included) and the age of the oldest waiting command ({@code shepherd_command_queue_oldest_age_seconds}).
 * Counting takes queries, so they run at most once per {@code maxAge}, when a scrape asks ({@link #refreshIfStale}),
 * never on a device's or an admin's request; between refreshes the age keeps growing from the oldest one seen.
 * Counting a large store (millions of finished commands) takes long, so the counts are also kept for at least
 * {@value CountPace#COST_MULTIPLE} times as long as the last count took ({@link CountPace}): scraping never costs more
 * than a twentieth of a core, whatever the store's size and the scrape interval.
 */
public final class CommandQueueMetrics {

    private static final Logger log = LoggerFactory.getLogger(CommandQueueMetrics.class);

    private final DataSource dataSource;
    private final Clock clock;
    private final CountPace pace;
    private final Map<CommandState, AtomicLong> byState = new EnumMap<>(CommandState.class);
    private final AtomicLong depth = new AtomicLong();
    private volatile Optional<Instant> oldestWaiting = Optional.empty();

    /**
     * @param dataSource the kernel store, read outside any transaction
     * @param maxAge how old the counts may get before a scrape refreshes them
     */
    public CommandQueueMetrics(DataSource dataSource, Clock clock, MeterRegistry registry, Duration maxAge) {
        this(dataSource, clock, registry, maxAge, System::nanoTime);
    }

    /** With the ticker that paces the counts (a test's). */
    CommandQueueMetrics(DataSource dataSource, Clock clock, MeterRegistry registry, Duration maxAge, LongSupplier nanoTime) {
        this.dataSource = requireNonNull(dataSource, "dataSource is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.pace = new CountPace(maxAge, nanoTime);
        requireNonNull(registry, "registry is null");
        for (CommandState state : CommandState.values()) {
            AtomicLong count = new AtomicLong();
            byState.put(state, count);
            Gauge.builder("shepherd.commands", count, AtomicLong::get)
                    .description("Commands in the store by state, refreshed at most every few seconds")
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        Gauge.builder("shepherd.command.queue.depth", depth, AtomicLong::get)
                .description("Commands waiting for their device (queued or not now), fan-out rows not yet written included")
                .register(registry);
        Gauge.builder("shepherd.command.queue.oldest.age", this, CommandQueueMetrics::oldestWaitingSeconds)
                .description("How long the oldest command still waiting for its device has waited; 0 when none waits")
                .baseUnit("seconds")
                .strongReference(true)
                .register(registry);
    }

    /**
     * Counts again from the store if the last count is older than the maximum age (and than
     * {@value CountPace#COST_MULTIPLE} times what it took); a failed count keeps the last.
     */
    public synchronized void refreshIfStale() {
        OptionalLong started = pace.startIfDue();
        if (started.isEmpty()) {
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            count(connection);
        } catch (SQLException e) {
            log.warn("Cannot count the command queue for the metrics: {}", e.getMessage());
        }
        pace.finished(started.getAsLong());
    }

    private void count(Connection connection) throws SQLException {
        Map<CommandState, Long> counts = new EnumMap<>(CommandState.class);
        Instant oldest = null;
        // One pass over the table for the counts and the oldest waiting command: no index lists the waiting commands
        // on Derby (V32), so a query of its own for the oldest would read the table a second time.
        try (PreparedStatement select = connection.prepareStatement("SELECT state, COUNT(*), MIN(created_at) FROM command GROUP BY state");
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                Optional<CommandState> state = stateOf(rows.getString(1));
                if (state.isPresent()) {
                    counts.put(state.get(), rows.getLong(2));
                    if (state.get() == CommandState.QUEUED || state.get() == CommandState.NOT_NOW) {
                        oldest = earlier(oldest, instant(rows.getTimestamp(3)));
                    }
                }
            }
        }
        long unwritten = 0;
        // A fan-out's rows are written in the background; those not yet written wait as much as the written ones.
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT SUM(total - materialized), MIN(created_at) FROM command_batch WHERE state = 'MATERIALIZING'");
             ResultSet rows = select.executeQuery()) {
            if (rows.next()) {
                unwritten = rows.getLong(1);
                oldest = earlier(oldest, instant(rows.getTimestamp(2)));
            }
        }
        for (CommandState state : CommandState.values()) {
            byState.get(state).set(counts.getOrDefault(state, 0L));
        }
        depth.set(counts.getOrDefault(CommandState.QUEUED, 0L) + counts.getOrDefault(CommandState.NOT_NOW, 0L) + unwritten);
        oldestWaiting = Optional.ofNullable(oldest);
    }

    private double oldestWaitingSeconds() {
        return oldestWaiting.map(since -> Math.max(0, Duration.between(since, clock.instant()).toMillis()) / 1000.0).orElse(0.0);
    }

    private static Optional<CommandState> stateOf(String stored) {
        try {
            return Optional.of(CommandState.valueOf(stored.trim()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The earlier of two instants, either of which may be missing (null). */
    private static Instant earlier(Instant first, Instant second) {
        if (first == null) {
            return second;
        }
        if (second == null) {
            return first;
        }
        return second.isBefore(first) ? second : first;
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
