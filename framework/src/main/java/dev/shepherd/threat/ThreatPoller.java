package dev.shepherd.threat;

import dev.shepherd.api.threat.ThreatDefenseException;
import dev.shepherd.api.threat.ThreatPoll;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

import static java.util.Objects.requireNonNull;

/**
 * Polls the threat-defense connectors that have a poll interval, each on a task of its own so a slow or hanging one
 * never delays another (the call itself runs on the plugin's threads, bounded by the plugin call timeout). A poll whose
 * answer says {@code more} polls again at once, up to {@link #PAGES_PER_CYCLE} pages; a failed poll backs off
 * exponentially from the interval, at least as long as the vendor's {@code Retry-After}, up to {@link #MAX_BACKOFF}
 * (or the interval, when longer). The cluster's leader runs {@link #tick()}; an admin's on-demand poll makes the
 * connector due at once.
 */
public final class ThreatPoller {

    private static final Logger log = LoggerFactory.getLogger(ThreatPoller.class);
    /** The most pages one cycle takes from a connector answering {@code more}: the rest waits for the next interval. */
    public static final int PAGES_PER_CYCLE = 20;
    /** The longest back-off after failures, unless the interval is longer. */
    public static final Duration MAX_BACKOFF = Duration.ofHours(1);
    /** How soon a connector that is not set up is checked again. */
    static final Duration SETUP_RECHECK = Duration.ofSeconds(10);

    private final ThreatService threats;
    private final ThreatConnectors connectors;
    private final ExecutorService workers;
    private final Clock clock;
    private final Optional<Duration> intervalOverride;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** What each running connector said of itself when last recorded, so it is written again only when it changes. */
    private final Map<String, ThreatConnectors.Running> recorded = new ConcurrentHashMap<>();
    /** Setup problems as last answered, for the health page: they live in the plugin, not the store. */
    private final Map<String, String> setupProblems = new ConcurrentHashMap<>();

    /**
     * @param workers runs each connector's poll; a poll occupies one of its threads for at most the plugin call timeout
     * @param intervalOverride {@code threat.pollInterval}: polls every connector this often, whatever it asks (tests)
     */
    public ThreatPoller(ThreatService threats, ThreatConnectors connectors, ExecutorService workers, Clock clock,
                        Optional<Duration> intervalOverride) {
        this.threats = requireNonNull(threats, "threats is null");
        this.connectors = requireNonNull(connectors, "connectors is null");
        this.workers = requireNonNull(workers, "workers is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.intervalOverride = requireNonNull(intervalOverride, "intervalOverride is null");
    }

    /** @return whether a poll this poller started is still running (its results not yet written) */
    boolean polling() {
        return !inFlight.isEmpty();
    }

    /** @return what each connector not set up says an admin must still do, by connector id */
    public Map<String, String> setupProblems() {
        return Map.copyOf(setupProblems);
    }

    /**
     * Records the running connectors, judges freshness, and starts the polls that are due. Called periodically on the
     * node that leads.
     */
    public void tick() {
        Map<String, ThreatConnectors.Running> running = new HashMap<>();
        for (ThreatConnectors.Running connector : connectors.running()) {
            running.put(connector.connectorId(), connector);
            if (!connector.equals(recorded.get(connector.connectorId()))) {
                threats.register(connector.connectorId(), connector.pluginId(), connector.displayName(), connector.staleAfter());
                recorded.put(connector.connectorId(), connector);
            }
        }
        recorded.keySet().retainAll(running.keySet());
        setupProblems.keySet().retainAll(running.keySet());
        threats.judgeFreshness();
        Instant now = clock.instant();
        for (ConnectorState state : threats.connectors()) {
            ThreatConnectors.Running connector = running.get(state.connectorId());
            if (connector == null || connector.pollInterval().isEmpty()) {
                continue;
            }
            if (state.nextPollAt().isPresent() && state.nextPollAt().get().isAfter(now)) {
                continue;
            }
            if (!inFlight.add(state.connectorId())) {
                continue;
            }
            Duration interval = intervalOverride.orElse(connector.pollInterval().get());
            try {
                workers.execute(() -> {
                    try {
                        pollCycle(state, interval);
                    } catch (RuntimeException e) {
                        log.warn("Polling threat-defense connector {} failed: {}", state.connectorId(), e.getMessage());
                    } finally {
                        inFlight.remove(state.connectorId());
                    }
                });
            } catch (RejectedExecutionException e) {
                inFlight.remove(state.connectorId()); // shutting down
            }
        }
    }

    /** One cycle: the setup check, then pages until the connector has no more (or the cycle's bound). */
    private void pollCycle(ConnectorState state, Duration interval) {
        String id = state.connectorId();
        try {
            Optional<String> problem = connectors.setupProblem(id);
            if (problem.isPresent()) {
                setupProblems.put(id, problem.get());
                // The setup check makes no remote call, so it is repeated soon: credentials an admin just saved are
                // used within seconds rather than after a whole poll interval.
                threats.pollLater(id, clock.instant().plus(interval.compareTo(SETUP_RECHECK) < 0 ? interval : SETUP_RECHECK));
                return;
            }
            setupProblems.remove(id);
        } catch (ThreatDefenseException e) {
            failed(id, state.consecutiveFailures(), interval, e);
            return;
        }
        Optional<String> cursor = state.cursor();
        int failures = state.consecutiveFailures();
        for (int page = 1; page <= PAGES_PER_CYCLE; page++) {
            ThreatPoll poll;
            try {
                poll = connectors.poll(id, cursor);
            } catch (ThreatDefenseException e) {
                failed(id, failures, interval, e);
                return;
            }
            boolean again = poll.more() && page < PAGES_PER_CYCLE;
            try {
                threats.applyPoll(id, poll, again ? clock.instant() : clock.instant().plus(interval));
            } catch (IllegalArgumentException e) {
                failed(id, failures, interval, new ThreatDefenseException("The connector's answer was refused: " + e.getMessage()));
                return;
            }
            failures = 0;
            if (!again) {
                return;
            }
            cursor = poll.nextCursor();
        }
    }

    private void failed(String connectorId, int earlierFailures, Duration interval, ThreatDefenseException e) {
        Duration backoff = backoff(interval, earlierFailures + 1, e.retryAfter());
        log.info("Threat-defense connector {} failed ({} in a row), next poll in {}: {}", connectorId, earlierFailures + 1, backoff,
                e.getMessage());
        threats.pollFailed(connectorId, e.getMessage(), clock.instant().plus(backoff));
    }

    /**
     * The wait after the {@code failures}th failure in a row: the interval doubled per failure, capped at
     * {@link #MAX_BACKOFF} (or the interval, when longer), never shorter than the vendor's {@code Retry-After}.
     */
    static Duration backoff(Duration interval, int failures, Optional<Duration> retryAfter) {
        Duration cap = interval.compareTo(MAX_BACKOFF) > 0 ? interval : MAX_BACKOFF;
        Duration wait = interval;
        for (int i = 0; i < failures && wait.compareTo(cap) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        Duration capped = wait.compareTo(cap) > 0 ? cap : wait;
        return retryAfter.filter(asked -> asked.compareTo(capped) > 0).orElse(capped);
    }
}
