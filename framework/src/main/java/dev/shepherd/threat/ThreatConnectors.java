package dev.shepherd.threat;

import dev.shepherd.api.threat.ThreatDefenseException;
import dev.shepherd.api.threat.ThreatPoll;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The threat package's way into the threat-defense plugins: the connectors running now and guarded calls into them.
 * The plugin host implements it; the threat package never sees a plugin.
 */
public interface ThreatConnectors {

    /**
     * A running connector as it described itself when it registered.
     *
     * @param connectorId its id
     * @param pluginId the plugin that registered it
     * @param displayName the vendor's name
     * @param pollInterval how often it is polled; empty for push only
     * @param staleAfter its own stale age
     */
    record Running(String connectorId, String pluginId, String displayName, Optional<Duration> pollInterval, Optional<Duration> staleAfter) {
        public Running {
            requireNonNull(connectorId, "connectorId is null");
            requireNonNull(pluginId, "pluginId is null");
            requireNonNull(displayName, "displayName is null");
            requireNonNull(pollInterval, "pollInterval is null");
            requireNonNull(staleAfter, "staleAfter is null");
        }
    }

    /** No connector at all. */
    ThreatConnectors NONE = new ThreatConnectors() {
        @Override
        public List<Running> running() {
            return List.of();
        }

        @Override
        public Optional<String> setupProblem(String connectorId) throws ThreatDefenseException {
            throw new ThreatDefenseException("No plugin offers threat-defense connector " + connectorId + ".");
        }

        @Override
        public ThreatPoll poll(String connectorId, Optional<String> cursor) throws ThreatDefenseException {
            throw new ThreatDefenseException("No plugin offers threat-defense connector " + connectorId + ".");
        }
    };

    /** @return the connectors whose plugins are running, in a stable order */
    List<Running> running();

    /**
     * Asks a connector, on its plugin's threads with the plugin call timeout, what an admin must still do.
     *
     * @throws ThreatDefenseException when the plugin failed, hung, is out of service or is not running
     */
    Optional<String> setupProblem(String connectorId) throws ThreatDefenseException;

    /**
     * Polls a connector on its plugin's threads with the plugin call timeout. A connector that fails, hangs, is out of
     * service or is not running is reported as a {@link ThreatDefenseException}, so a failing connector never blocks
     * another.
     *
     * @throws ThreatDefenseException the vendor's failure, or the plugin's in its words
     */
    ThreatPoll poll(String connectorId, Optional<String> cursor) throws ThreatDefenseException;
}
