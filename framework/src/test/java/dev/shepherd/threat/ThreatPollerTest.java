package dev.shepherd.threat;

import dev.shepherd.api.device.Platform;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatDefenseException;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.ThreatPoll;
import dev.shepherd.api.threat.VendorDevice;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The poller over a real store, with connectors answering through the {@link ThreatConnectors} port as scripted here
 * (the plugin side, with real plugin files, is {@code ThreatDefenseServerTest}'s): cursors handed on, {@code more}
 * polled at once within the cycle's bound, back-off from the interval and never under the vendor's Retry-After, and
 * a connector not set up left unpolled with its reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThreatPollerTest {

    private static final Instant START = Instant.parse("2026-12-01T08:00:00Z");
    private static final Duration INTERVAL = Duration.ofMinutes(5);

    @TempDir
    static Path home;
    private TestKernel test;
    private ThreatService threats;
    private final TestClock clock = new TestClock(START);
    private final Scripted connectors = new Scripted();
    private ExecutorService workers;
    private ThreatPoller poller;

    @BeforeAll
    void open() {
        test = TestKernel.open(home, clock);
        threats = test.kernel().threats();
        workers = Executors.newCachedThreadPool();
        poller = new ThreatPoller(threats, connectors, workers, clock, Optional.empty());
    }

    @AfterAll
    void close() throws Exception {
        workers.shutdown();
        workers.awaitTermination(10, TimeUnit.SECONDS);
        test.close();
    }

    @Test
    void theBackOffDoublesFromTheIntervalUpToAnHourAndNeverUndercutsRetryAfter() {
        assertThat(ThreatPoller.backoff(Duration.ofSeconds(30), 1, Optional.empty())).isEqualTo(Duration.ofMinutes(1));
        assertThat(ThreatPoller.backoff(Duration.ofSeconds(30), 3, Optional.empty())).isEqualTo(Duration.ofMinutes(4));
        assertThat(ThreatPoller.backoff(Duration.ofSeconds(30), 40, Optional.empty())).isEqualTo(Duration.ofHours(1));
        assertThat(ThreatPoller.backoff(Duration.ofHours(2), 3, Optional.empty())).as("an interval over the cap is the cap")
                .isEqualTo(Duration.ofHours(2));
        assertThat(ThreatPoller.backoff(Duration.ofSeconds(30), 1, Optional.of(Duration.ofMinutes(10)))).isEqualTo(Duration.ofMinutes(10));
        assertThat(ThreatPoller.backoff(Duration.ofSeconds(30), 3, Optional.of(Duration.ofSeconds(5)))).isEqualTo(Duration.ofMinutes(4));
    }

    @Test
    void pagesWithMoreArePolledAtOnceEachGivenThePreviousCursorAndACycleStopsAtItsBound() {
        test.enrollId(Platform.IOS, "P-1");
        connectors.script("paged", page -> new ThreatPoll(page == 1 ? List.of(new ThreatAssessment(new VendorDevice("p-1", Optional.empty(),
                Optional.of("SER-P-1"), Map.of(), Optional.empty()), ThreatLevel.LOW, "low", List.of(), START)) : List.of(),
                Optional.of("after-" + page), page < 3));
        connectors.script("endless", page -> new ThreatPoll(List.of(), Optional.of("page-" + page), true));

        cycle();

        assertThat(connectors.cursors("paged")).containsExactly("-", "after-1", "after-2");
        assertThat(threats.connector("paged").orElseThrow().cursor()).hasValue("after-3");
        assertThat(threats.connector("paged").orElseThrow().nextPollAt()).hasValue(START.plus(INTERVAL));
        assertThat(connectors.cursors("endless")).hasSize(ThreatPoller.PAGES_PER_CYCLE);
        assertThat(threats.connector("endless").orElseThrow().nextPollAt()).as("the rest waits for the next interval")
                .hasValue(START.plus(INTERVAL));
        cycle();
        assertThat(connectors.cursors("paged")).as("not due yet").hasSize(3);
    }

    @Test
    void aFailingConnectorKeepsItsCursorAndBacksOffAndOneNotSetUpIsNotPolled() {
        connectors.script("throttled", page -> {
            throw new ThreatDefenseException("429 Too Many Requests", Duration.ofMinutes(30));
        });
        connectors.script("unset", page -> new ThreatPoll(List.of(), Optional.empty(), false));
        connectors.setupProblems.put("unset", "No API key is set.");

        cycle();

        ConnectorState throttled = threats.connector("throttled").orElseThrow();
        assertThat(throttled.lastFailure()).hasValue("429 Too Many Requests");
        assertThat(throttled.consecutiveFailures()).isEqualTo(1);
        assertThat(throttled.nextPollAt()).hasValue(clock.instant().plus(Duration.ofMinutes(30)));
        assertThat(throttled.cursor()).isEmpty();
        assertThat(connectors.cursors("unset")).isEmpty();
        assertThat(poller.setupProblems()).containsEntry("unset", "No API key is set.");
        assertThat(threats.connector("unset").orElseThrow().nextPollAt())
                .as("a connector not set up is checked again within seconds, so saved credentials are used at once")
                .hasValue(clock.instant().plus(ThreatPoller.SETUP_RECHECK));

        connectors.setupProblems.remove("unset");
        clock.advance(ThreatPoller.SETUP_RECHECK);
        cycle();

        assertThat(poller.setupProblems()).doesNotContainKey("unset");
        assertThat(connectors.cursors("unset")).hasSize(1);
    }

    /** One tick, and the polls it started run to their end (their results written). */
    private void cycle() {
        poller.tick();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> !poller.polling());
    }

    /** Connectors as the plugin host would offer them, answering as each test scripts them. */
    private static final class Scripted implements ThreatConnectors {

        @FunctionalInterface
        interface Page {
            ThreatPoll answer(int page) throws ThreatDefenseException;
        }

        private final Map<String, Page> scripts = new HashMap<>();
        private final Map<String, List<String>> cursors = new HashMap<>();
        final Map<String, String> setupProblems = new HashMap<>();

        synchronized void script(String connectorId, Page page) {
            scripts.put(connectorId, page);
            cursors.put(connectorId, new ArrayList<>());
        }

        synchronized List<String> cursors(String connectorId) {
            return List.copyOf(cursors.get(connectorId));
        }

        @Override
        public synchronized List<Running> running() {
            return scripts.keySet().stream().sorted().map(id -> new Running(id, id + "-plugin", id, Optional.of(INTERVAL),
                    Optional.empty())).toList();
        }

        @Override
        public synchronized Optional<String> setupProblem(String connectorId) {
            return Optional.ofNullable(setupProblems.get(connectorId));
        }

        @Override
        public ThreatPoll poll(String connectorId, Optional<String> cursor) throws ThreatDefenseException {
            Page page;
            int number;
            synchronized (this) {
                cursors.get(connectorId).add(cursor.orElse("-"));
                number = cursors.get(connectorId).size();
                page = scripts.get(connectorId);
            }
            return page.answer(number);
        }
    }
}
