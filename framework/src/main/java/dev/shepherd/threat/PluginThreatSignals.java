package dev.shepherd.threat;

import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatSignals;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One plugin's {@link ThreatSignals}: it reports only for connectors that plugin registers (running now, or recorded
 * as its own by an earlier run, so a push that arrives while its extensions are still registering is not lost).
 */
public final class PluginThreatSignals implements ThreatSignals {

    private final String pluginId;
    private final ThreatService threats;
    private final ThreatConnectors connectors;

    public PluginThreatSignals(String pluginId, ThreatService threats, ThreatConnectors connectors) {
        this.pluginId = requireNonNull(pluginId, "pluginId is null");
        this.threats = requireNonNull(threats, "threats is null");
        this.connectors = requireNonNull(connectors, "connectors is null");
    }

    @Override
    public ThreatReport report(String connectorId, List<ThreatAssessment> assessments) {
        requireNonNull(connectorId, "connectorId is null");
        requireNonNull(assessments, "assessments is null");
        Optional<ThreatConnectors.Running> running = connectors.running().stream()
                .filter(connector -> connector.connectorId().equals(connectorId)).findFirst();
        if (running.isPresent() && !running.get().pluginId().equals(pluginId)) {
            throw new IllegalArgumentException("plugin " + pluginId + " has no threat-defense connector " + connectorId);
        }
        Optional<ConnectorState> known = threats.connector(connectorId);
        if (running.isPresent() && known.filter(state -> state.pluginId().equals(pluginId)).isEmpty()) {
            // Pushed before the poller recorded the connector (or after it moved here from another plugin).
            threats.register(connectorId, pluginId, running.get().displayName(), running.get().staleAfter());
        } else if (running.isEmpty() && known.filter(state -> state.pluginId().equals(pluginId)).isEmpty()) {
            throw new IllegalArgumentException("plugin " + pluginId + " has no threat-defense connector " + connectorId);
        }
        return threats.report(connectorId, assessments);
    }
}
