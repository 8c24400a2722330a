package dev.shepherd.metrics;

import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.command.CommandTargets;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command queue's gauges are counted from the real store, not on any request: by state, the depth (fan-out rows
 * not yet written included) and the oldest waiting command's age, which keeps growing between counts; and they are
 * counted no more often than their maximum age, however often a scrape asks.
 */
class CommandQueueMetricsTest {

    @TempDir
    Path home;
    private final TestClock clock = new TestClock(Instant.parse("2026-01-05T10:00:00Z"));
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private TestKernel kernel;
    private DeviceId device;

    @BeforeEach
    void open() {
        kernel = TestKernel.open(home, clock);
        device = kernel.enrollId(Platform.IOS, "QUEUE-1");
    }

    @AfterEach
    void close() {
        kernel.close();
    }

    @Test
    void countsCommandsByStateAndTheWaitingOnesFromTheStore() {
        CommandQueueMetrics metrics = new CommandQueueMetrics(kernel.database().dataSource(), clock, registry, Duration.ofNanos(1));
        kernel.kernel().commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCK));
        kernel.kernel().commands().issue(ADMIN, device, CommandRequest.of(CommandType.RESTART));
        clock.advance(Duration.ofSeconds(30));

        metrics.refreshIfStale();

        assertThat(gauge("shepherd.commands", "queued")).isEqualTo(2);
        assertThat(gauge("shepherd.commands", "acknowledged")).isZero();
        assertThat(registry.get("shepherd.command.queue.depth").gauge().value()).isEqualTo(2);
        assertThat(oldestAge()).isEqualTo(30);
        clock.advance(Duration.ofSeconds(60));
        assertThat(oldestAge()).as("the age grows between counts").isEqualTo(90);
    }

    @Test
    void aFanOutsRowsNotYetWrittenAreWaitingToo() {
        CommandQueueMetrics metrics = new CommandQueueMetrics(kernel.database().dataSource(), clock, registry, Duration.ofNanos(1));
        DeviceId other = kernel.enrollId(Platform.IOS, "QUEUE-2");
        kernel.kernel().commands().issueToMany(ADMIN, new CommandTargets.Listed(List.of(device, other)),
                CommandRequest.of(CommandType.REFRESH_INVENTORY), "everyone");
        clock.advance(Duration.ofSeconds(10));

        metrics.refreshIfStale();

        assertThat(gauge("shepherd.commands", "queued")).as("no row written yet").isZero();
        assertThat(registry.get("shepherd.command.queue.depth").gauge().value()).isEqualTo(2);
        assertThat(oldestAge()).isEqualTo(10);
    }

    @Test
    void countsNoMoreOftenThanItsMaximumAge() {
        CommandQueueMetrics metrics = new CommandQueueMetrics(kernel.database().dataSource(), clock, registry, Duration.ofHours(1));
        metrics.refreshIfStale();
        kernel.kernel().commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCK));

        metrics.refreshIfStale();

        assertThat(gauge("shepherd.commands", "queued")).as("the count of an hour ago stands").isZero();
        assertThat(oldestAge()).isZero();
    }

    @Test
    void aCountThatTookLongStandsTwentyTimesAsLong() {
        // The ticker reads: the first count starts at 0 s and ends at 2 s, so the counts stand until 40 s.
        AtomicLong seconds = new AtomicLong();
        Deque<Long> readings = new ArrayDeque<>(List.of(0L, 2L));
        CommandQueueMetrics metrics = new CommandQueueMetrics(kernel.database().dataSource(), clock, registry, Duration.ofSeconds(5),
                () -> TimeUnit.SECONDS.toNanos(readings.isEmpty() ? seconds.get() : readings.poll()));
        metrics.refreshIfStale();
        kernel.kernel().commands().issue(ADMIN, device, CommandRequest.of(CommandType.LOCK));

        seconds.set(39);
        metrics.refreshIfStale();
        assertThat(gauge("shepherd.commands", "queued")).as("older than the maximum age, but counting costs").isZero();

        seconds.set(40);
        metrics.refreshIfStale();
        assertThat(gauge("shepherd.commands", "queued")).isEqualTo(1);
    }

    private double gauge(String name, String state) {
        return registry.get(name).tag("state", state).gauge().value();
    }

    private double oldestAge() {
        return registry.get("shepherd.command.queue.oldest.age").gauge().value();
    }
}
