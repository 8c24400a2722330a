package dev.shepherd.command;

import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

/** The dashboards' count of waiting commands: what it counts, and how rarely it reads the store to count them. */
class PendingCommandCountTest {

    @TempDir
    Path home;
    private TestKernel test;
    private CommandService commands;
    private DeviceId device;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        commands = test.kernel().commands();
        device = test.enrollId(Platform.IOS, "PENDING-1");
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void countsQueuedSentAndDeferredCommandsButNoFinishedOne() {
        UUID sent = issue(CommandType.LOCK);
        UUID deferred = issue(CommandType.OS_UPDATE);
        UUID acknowledged = issue(CommandType.RESTART);
        UUID cancelled = issue(CommandType.LOCATE);
        assertThat(commands.take(device, 3)).hasSize(3);
        commands.report(device, new CommandResult(deferred, CommandState.NOT_NOW, Map.of(), Optional.empty()));
        commands.report(device, new CommandResult(acknowledged, CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        commands.cancel(ADMIN, cancelled);
        issue(CommandType.REFRESH_INVENTORY);

        PendingCommandCount count = new PendingCommandCount(test.database().dataSource(), Duration.ofSeconds(5), () -> 0L);

        assertThat(count.get()).as("sent %s, deferred %s and one queued", sent, deferred).isEqualTo(3);
        assertThat(commands.pendingCount()).isEqualTo(3);
    }

    @Test
    void aCountStandsForItsMaximumAgeAndTwentyTimesAsLongAsCountingTook() {
        // The ticker reads: the first count starts at 0 s and ends at 2 s, so it stands until 40 s (not just 5 s).
        AtomicLong seconds = new AtomicLong();
        Deque<Long> readings = new ArrayDeque<>(List.of(0L, 2L));
        PendingCommandCount count = new PendingCommandCount(test.database().dataSource(), Duration.ofSeconds(5),
                () -> TimeUnit.SECONDS.toNanos(readings.isEmpty() ? seconds.get() : readings.poll()));
        assertThat(count.get()).isZero();
        issue(CommandType.LOCK);

        seconds.set(39);
        assertThat(count.get()).as("older than the maximum age, but counting costs").isZero();

        seconds.set(40);
        assertThat(count.get()).isEqualTo(1);
    }

    private UUID issue(CommandType type) {
        return commands.issue(ADMIN, device, CommandRequest.of(type)).command().id();
    }
}
