package dev.shepherd.command;

import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.device.PreRegistration;
import dev.shepherd.device.PluginDeviceRegistry;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A fan-out's wake-ups counted as what happened: pushed, waiting for an enrollment, or without a push channel. */
class PushSchedulerTest {

    @TempDir
    Path home;
    private TestKernel test;
    private PushScheduler scheduler;
    private final List<DeviceId> pushedTo = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        // The push service of iOS takes wake-ups; Windows has no push channel (as without WNS credentials).
        scheduler = new PushScheduler(test.kernel().devices(), test.kernel().commands(), device -> {
            if (device.platform().equals(Platform.WINDOWS)) {
                return false;
            }
            pushedTo.add(device.id());
            return true;
        }, 1000);
        test.kernel().commands().setWaker(scheduler);
    }

    @AfterEach
    void close() {
        scheduler.close();
        test.close();
    }

    @Test
    void aFanOutCountsPushedAwaitingEnrollmentAndUnreachableTargetsApart() {
        List<DeviceId> targets = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            targets.add(test.enrollId(Platform.IOS, "IPAD-" + i));
        }
        for (int i = 0; i < 2; i++) {
            targets.add(test.enrollId(Platform.WINDOWS, "PC-" + i));
        }
        PluginDeviceRegistry programs = new PluginDeviceRegistry("apple-ios", test.kernel().devices(), test.kernel().enrollmentTokens(),
                test.kernel().recoveryKeys());
        List<DeviceId> neverEnrolled = programs.preRegister(List.of(
                new PreRegistration(Platform.IOS, "ADE-1", "iPad", "", Map.of("serial", "ADE-1"), Set.of()),
                new PreRegistration(Platform.IOS, "ADE-2", "iPad", "", Map.of("serial", "ADE-2"), Set.of()),
                new PreRegistration(Platform.IOS, "ADE-3", "iPad", "", Map.of("serial", "ADE-3"), Set.of()),
                new PreRegistration(Platform.IOS, "ADE-4", "iPad", "", Map.of("serial", "ADE-4"), Set.of())));
        targets.addAll(neverEnrolled);

        CommandBatch batch = test.kernel().commands().issueToMany(ADMIN, new CommandTargets.Listed(targets),
                new CommandRequest(CommandType.REFRESH_INVENTORY, Map.of(), 0, Optional.empty()), "the lobby");

        assertThat(batch.total()).isEqualTo(9);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            CommandBatch progress = test.kernel().commands().batch(batch.id()).orElseThrow();
            assertThat(progress.pushed()).as("pushed").isEqualTo(3);
            assertThat(progress.awaitingEnrollment()).as("never enrolled").isEqualTo(4);
            assertThat(progress.unreachable()).as("no push channel").isEqualTo(2);
        });
        assertThat(pushedTo).as("nothing is pushed to a device that never enrolled").doesNotContainAnyElementsOf(neverEnrolled).hasSize(3);
        assertThat(test.kernel().commands().recentBatches(Optional.empty(), 10)).singleElement()
                .satisfies(listed -> assertThat(listed.awaitingEnrollment()).isEqualTo(4));
    }
}
