package dev.shepherd.apple;

import dev.shepherd.api.cluster.Leadership;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.app.KernelDeviceSetup;
import dev.shepherd.device.PluginDeviceRegistry;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ADE sync schedule over a real kernel store and the stand-in of Apple's device assignment service: each token
 * synced when its interval has passed since its last sync (manual ones count), on the lease holder only, never before
 * the time Apple's throttling named, and how each sync went kept for the token page.
 */
class AdeSyncSchedulerTest {

    private static final Duration INTERVAL = Duration.ofMinutes(30);

    @TempDir
    Path home;
    private final TestClock clock = new TestClock(Instant.now());
    private final AtomicBoolean leader = new AtomicBoolean(true);
    private TestKernel test;
    private LocalDeviceAssignment apple;
    private AdeDeviceSync sync;
    private AdeSyncScheduler schedule;

    @BeforeEach
    void start() throws Exception {
        test = TestKernel.open(home);
        Kernel kernel = test.kernel();
        AdeTokenFiles.Credentials credentials = AdeTokenFiles.Credentials.expiring("sched", Instant.now().plus(Duration.ofDays(300)));
        apple = LocalDeviceAssignment.start(credentials, Clock.systemUTC());
        MemoryPluginStorage storage = new MemoryPluginStorage();
        AdeServerTokens tokens = new AdeServerTokens(storage, new TestSealer(), clock);
        tokens.upload("abm", AdeTokenFiles.tokenFile(tokens.publicKeyPem(), credentials));
        // Apple's OAuth checks the request's timestamp against the real time: only the schedule's clock is moved.
        sync = AdeTestSyncs.iosSync(kernel, tokens, storage, apple);
        schedule = new AdeSyncScheduler(new Leadership() {
            @Override
            public boolean isLeader() {
                return leader.get();
            }

            @Override
            public boolean isLeader(String job) {
                return job.equals(AdeSyncScheduler.JOB) && leader.get();
            }
        }, INTERVAL, "apple-ios", clock, false);
        schedule.schedule(sync);
    }

    @AfterEach
    void stop() {
        schedule.close();
        apple.close();
        test.close();
    }

    @Test
    void eachTokenIsSyncedOncePerIntervalOnTheLeaseHolderAndItsLastSyncIsKept() {
        apple.assign("SCH00001", "iPhone 15", "iPhone 15 128GB Black", "BLACK", "iOS");

        assertThat(schedule.runDue()).as("never synced: due at once").isEqualTo(1);
        AdeDeviceSync.SyncStatus first = sync.lastSync("abm").orElseThrow();
        assertThat(first.result().orElseThrow().registered()).isEqualTo(1);
        assertThat(first.error()).isEmpty();
        assertThat(test.kernel().devices().idByHardwareId(Platform.IOS, "serial", "SCH00001")).isPresent();

        clock.advance(INTERVAL.minusMinutes(1));
        assertThat(schedule.runDue()).as("not due yet").isZero();

        // (The sync recorded the real time, a few seconds after this clock started.)
        clock.advance(Duration.ofMinutes(2));
        leader.set(false);
        assertThat(schedule.runDue()).as("another node holds the lease").isZero();

        leader.set(true);
        apple.assign("SCH00002", "iPhone 15", "iPhone 15 128GB Blue", "BLUE", "iOS");
        assertThat(schedule.runDue()).isEqualTo(1);
        assertThat(sync.lastSync("abm").orElseThrow().result().orElseThrow().registered()).isEqualTo(1);
        assertThat(sync.lastSync("abm").orElseThrow().at()).isAfter(first.at());
    }

    @Test
    void aTokenAppleThrottledWaitsUntilTheTimeAppleNamedAndTheFailureIsKept() {
        apple.throttleNext(429, 3600);

        assertThat(schedule.runDue()).isEqualTo(1);

        AdeDeviceSync.SyncStatus throttled = sync.lastSync("abm").orElseThrow();
        assertThat(throttled.result()).isEmpty();
        assertThat(throttled.error()).hasValueSatisfying(error -> assertThat(error).contains("429"));
        assertThat(throttled.retryAfter()).hasValueSatisfying(until -> assertThat(until).isAfter(throttled.at().plusSeconds(3590)));
        clock.advance(INTERVAL);
        assertThat(schedule.runDue()).as("the interval has passed, Apple's wait has not").isZero();

        clock.advance(Duration.ofMinutes(35));
        assertThat(schedule.runDue()).isEqualTo(1);
        assertThat(sync.lastSync("abm").orElseThrow().error()).isEmpty();
    }

    @Test
    void aDeviceHeldInSetupAssistantPastItsTimeoutIsWokenOnceForItsReleaseByTheLeaseHolder() {
        apple.assign("SCH00003", "iPhone 15", "iPhone 15 128GB Green", "GREEN", "iOS");
        sync.syncAndRecord("abm");
        DeviceId held = test.kernel().devices().idByHardwareId(Platform.IOS, "serial", "SCH00003").orElseThrow();
        Kernel kernel = test.kernel();
        AdeAwaitConfiguration awaiting = new AdeAwaitConfiguration(new MemoryPluginStorage(),
                new PluginDeviceRegistry("apple-ios", kernel.devices(), kernel.enrollmentTokens(), kernel.recoveryKeys()),
                new KernelDeviceSetup(kernel.policies(), kernel.apps()), (type, data) -> {
                    throw new AssertionError("no device is released here, so no event is published: " + type);
                }, new PluginIdentity("apple-ios", "1.0.0", "/mdm/apple-ios"), Map::of, clock);
        List<DeviceId> woken = new ArrayList<>();
        schedule.watchReleases(Platform.IOS, () -> woken.addAll(awaiting.overdueToWake()));
        awaiting.enrolled(held);

        assertThat(schedule.runReleases()).isEqualTo(1);
        assertThat(woken).as("within its 30 minutes").isEmpty();

        clock.advance(Duration.ofMinutes(31));
        leader.set(false);
        assertThat(schedule.runReleases()).as("another node holds the lease").isZero();
        leader.set(true);
        schedule.runReleases();
        assertThat(woken).as("past its timeout: woken, so that its next message releases it").containsExactly(held);

        schedule.runReleases();
        assertThat(woken).as("woken once, not at every look").containsExactly(held);
    }
}
