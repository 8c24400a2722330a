package dev.shepherd.plugin;

import dev.shepherd.api.threat.ThreatDefenseConnector;
import dev.shepherd.api.threat.ThreatDefenseException;
import dev.shepherd.api.threat.ThreatPoll;
import dev.shepherd.threat.ThreatConnectors;
import dev.shepherd.threat.ThreatLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * The running threat-defense connectors by id, kept current as plugins come and go; every call into one goes through
 * its plugin generation (its threads, class loader, timeout and circuit breaker). A connector id another plugin already
 * registers stays with the first.
 */
public final class ThreatConnectorPlugins implements ExtensionRegistry.Listener, ThreatConnectors {

    private static final Logger log = LoggerFactory.getLogger(ThreatConnectorPlugins.class);
    /** The shortest poll interval a connector may ask for, as its contract says. */
    private static final Duration SHORTEST_INTERVAL = Duration.ofSeconds(1);

    private record Entry(ExtensionRegistry.Registration<?> registration, Running running) {
    }

    /** A connector's answer or its own failure, carried back across the plugin boundary as a value. */
    private record Answer<T>(T value, ThreatDefenseException failure) {
    }

    private final Map<String, Entry> connectors = new ConcurrentHashMap<>();

    @Override
    public void registered(ExtensionRegistry.Registration<?> registration) {
        if (registration.point() != ThreatDefenseConnector.class) {
            return;
        }
        ThreatDefenseConnector connector = (ThreatDefenseConnector) registration.extension();
        String pluginId = registration.owner().id();
        try {
            Running running = registration.owner().call("ThreatDefenseConnector.describe", () -> new Running(
                    ThreatLimits.connectorId(connector.id()), pluginId, requireNonNull(connector.displayName(), "displayName is null"),
                    requireNonNull(connector.pollInterval(), "pollInterval is null")
                            .map(interval -> interval.compareTo(SHORTEST_INTERVAL) < 0 ? SHORTEST_INTERVAL : interval),
                    requireNonNull(connector.staleAfter(), "staleAfter is null")));
            Entry earlier = connectors.putIfAbsent(running.connectorId(), new Entry(registration, running));
            if (earlier != null && earlier.registration() != registration) {
                log.warn("Plugin {} offers threat-defense connector {}, which plugin {} already offers; the first keeps it",
                        pluginId, running.connectorId(), earlier.running().pluginId());
                return;
            }
            log.info("Plugin {} offers threat-defense connector {} ({})", pluginId, running.connectorId(),
                    running.pollInterval().map(interval -> "polled every " + interval).orElse("push only"));
        } catch (PluginCallException | RuntimeException e) {
            log.warn("Plugin {} did not describe its threat-defense connector: {}", pluginId, e.getMessage());
        }
    }

    @Override
    public void unregistered(ExtensionRegistry.Registration<?> registration) {
        connectors.values().removeIf(entry -> entry.registration() == registration);
    }

    @Override
    public List<Running> running() {
        return connectors.values().stream().map(Entry::running).sorted(Comparator.comparing(Running::connectorId)).toList();
    }

    @Override
    public Optional<String> setupProblem(String connectorId) throws ThreatDefenseException {
        return call(connectorId, "ThreatDefenseConnector.setupProblem",
                connector -> requireNonNull(connector.setupProblem(), "setupProblem is null"));
    }

    @Override
    public ThreatPoll poll(String connectorId, Optional<String> cursor) throws ThreatDefenseException {
        return call(connectorId, "ThreatDefenseConnector.poll", connector -> requireNonNull(connector.poll(cursor), "the poll is null"));
    }

    @FunctionalInterface
    private interface ConnectorCall<T> {
        T call(ThreatDefenseConnector connector) throws ThreatDefenseException;
    }

    private <T> T call(String connectorId, String operation, ConnectorCall<T> call) throws ThreatDefenseException {
        Entry entry = connectors.get(connectorId);
        if (entry == null) {
            throw new ThreatDefenseException("No plugin offering threat-defense connector " + connectorId + " is running.");
        }
        ThreatDefenseConnector connector = (ThreatDefenseConnector) entry.registration().extension();
        Answer<T> answer;
        try {
            // The vendor's failure is an answer, not a broken plugin: it is returned, so the breaker does not count it.
            answer = entry.registration().owner().call(operation, () -> {
                try {
                    return new Answer<>(call.call(connector), null);
                } catch (ThreatDefenseException e) {
                    return new Answer<>(null, e);
                }
            });
        } catch (PluginCallException e) {
            String message = "Plugin " + entry.running().pluginId() + " failed: " + e.getMessage();
            Optional<Duration> retryAfter = e.retryAfter().filter(wait -> !wait.isZero() && !wait.isNegative());
            throw retryAfter.isPresent() ? new ThreatDefenseException(message, retryAfter.get()) : new ThreatDefenseException(message, e);
        }
        if (answer.failure() != null) {
            throw answer.failure();
        }
        return answer.value();
    }
}
