package dev.shepherd.push;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The wake queue with a real sender thread and a sender that answers as a push service would. */
class WakeQueueTest {

    private static final Duration WITHIN = Duration.ofSeconds(10);
    private final List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());
    private WakeQueue queue;

    @AfterEach
    void close() {
        if (queue != null) {
            queue.close();
        }
    }

    @Test
    void aDeviceWaitingForItsPushIsNotQueuedTwiceAndWakeUpsGoOutInBatches() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        queue = WakeQueue.start("Test", "plugin", new WakeQueue.Settings(3, 5, Duration.ofMillis(10)), keys -> {
            release.await(5, TimeUnit.SECONDS);
            batches.add(keys);
            return delivered(keys);
        });
        queue.offer("first");
        await().atMost(WITHIN).until(() -> queue.statistics().queued() == 0);
        for (String key : List.of("a", "b", "a", "c", "d", "b")) {
            queue.offer(key);
        }
        assertThat(queue.statistics().queued()).as("a and b once each").isEqualTo(4);
        release.countDown();

        await().atMost(WITHIN).until(() -> queue.statistics().delivered() == 5);
        assertThat(batches).hasSize(3);
        assertThat(batches.get(0)).containsExactly("first");
        assertThat(batches.get(1)).hasSize(3);
        assertThat(batches.stream().flatMap(List::stream)).containsExactlyInAnyOrder("first", "a", "b", "c", "d");
    }

    @Test
    void aPushTheServiceCannotTakeNowIsRetriedWithBackoffUntilItsAttemptsRunOut() {
        queue = WakeQueue.start("Test", "plugin", new WakeQueue.Settings(10, 3, Duration.ofMillis(20)), keys -> {
            batches.add(keys);
            Map<String, WakeQueue.Outcome> outcomes = new LinkedHashMap<>();
            keys.forEach(key -> outcomes.put(key, key.equals("flaky") && batches.size() < 2 ? WakeQueue.Outcome.RETRY
                    : key.equals("throttled") ? WakeQueue.Outcome.RETRY : WakeQueue.Outcome.DELIVERED));
            return outcomes;
        });
        queue.offer("flaky");
        queue.offer("throttled");

        await().atMost(WITHIN).until(() -> queue.statistics().failed() == 1);
        WakeQueue.Statistics statistics = queue.statistics();
        assertThat(statistics.delivered()).as("flaky, at its second attempt").isEqualTo(1);
        assertThat(statistics.retried()).as("flaky once, throttled twice").isEqualTo(3);
        assertThat(batches.stream().filter(batch -> batch.contains("throttled"))).as("three attempts").hasSize(3);
    }

    @Test
    void deadAddressesRefusalsAndDroppedKeysAreCountedApartAndTheLastErrorIsKept() {
        queue = WakeQueue.start("Test", "plugin", new WakeQueue.Settings(10, 3, Duration.ofMillis(10)), keys -> {
            queue.error("the service said no to refused");
            return Map.of("gone", WakeQueue.Outcome.GONE, "refused", WakeQueue.Outcome.FAILED);
        });
        queue.offer("gone");
        queue.offer("refused");
        queue.offer("forgotten-meanwhile");

        await().atMost(WITHIN).until(() -> queue.statistics().gone() == 1 && queue.statistics().failed() == 1);
        WakeQueue.Statistics statistics = queue.statistics();
        assertThat(statistics.queued()).isZero();
        assertThat(statistics.delivered()).isZero();
        assertThat(statistics.lastError()).hasValue("the service said no to refused");
        assertThat(statistics.lastErrorAt()).isPresent();
    }

    @Test
    void aSenderThatThrowsDoesNotStopTheQueueAndAClosedQueueTakesNothing() {
        queue = WakeQueue.start("Test", "plugin", new WakeQueue.Settings(1, 1, Duration.ofMillis(10)), keys -> {
            if (keys.contains("boom")) {
                throw new IllegalStateException("bad batch");
            }
            return delivered(keys);
        });
        queue.offer("boom");
        queue.offer("fine");

        await().atMost(WITHIN).until(() -> queue.statistics().delivered() == 1);
        assertThat(queue.statistics().lastError()).hasValue("sending pushes failed: bad batch");
        assertThat(Thread.getAllStackTraces().keySet()).anyMatch(thread -> thread.getName().equals("test-sender-plugin") && thread.isDaemon());
        queue.close();
        assertThat(queue.offer("late")).isFalse();
        assertThat(queue.running()).isFalse();
        await().atMost(WITHIN).until(() -> Thread.getAllStackTraces().keySet().stream().noneMatch(thread -> thread.getName().equals("test-sender-plugin")));
    }

    private static Map<String, WakeQueue.Outcome> delivered(List<String> keys) {
        Map<String, WakeQueue.Outcome> outcomes = new LinkedHashMap<>();
        keys.forEach(key -> outcomes.put(key, WakeQueue.Outcome.DELIVERED));
        return outcomes;
    }
}
