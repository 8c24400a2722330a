package dev.shepherd.threat;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.compliance.ThreatStanding;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A device's threat state: each connector's verdict with its freshness, and the effective level.
 *
 * @param device the device
 * @param effective the effective level
 * @param verdicts each connector's verdict
 */
public record DeviceThreatState(DeviceId device, Effective effective, List<ConnectorVerdict> verdicts) {

    public DeviceThreatState {
        requireNonNull(device, "device is null");
        requireNonNull(effective, "effective is null");
        verdicts = List.copyOf(requireNonNull(verdicts, "verdicts is null"));
    }

    /**
     * A connector's verdict and whether it is still fresh.
     *
     * @param verdict the verdict
     * @param connector the connector's display name
     * @param stale whether the connector has been silent past its stale age
     * @param staleSince when the verdict went, or goes, stale
     */
    public record ConnectorVerdict(StoredVerdict verdict, String connector, boolean stale, Instant staleSince) {
        public ConnectorVerdict {
            requireNonNull(verdict, "verdict is null");
            requireNonNull(connector, "connector is null");
            requireNonNull(staleSince, "staleSince is null");
        }
    }

    /**
     * The effective threat level.
     *
     * @param level {@code NONE}…{@code CRITICAL}: the worst fresh verdict; {@code UNKNOWN} when no verdict exists, or
     *        when a verdict is stale and no fresh verdict is worse than its last level
     * @param freshLevel the worst fresh verdict, when there is one
     * @param staleConnectors the connectors whose verdicts on the device are stale, by display name
     */
    public record Effective(String level, Optional<ThreatLevel> freshLevel, List<String> staleConnectors) {
        public Effective {
            requireNonNull(level, "level is null");
            requireNonNull(freshLevel, "freshLevel is null");
            staleConnectors = List.copyOf(requireNonNull(staleConnectors, "staleConnectors is null"));
        }
    }

    static DeviceThreatState of(DeviceId device, List<StoredVerdict> stored, Map<String, ConnectorState> connectors, Instant now,
                                Duration defaultStaleAfter) {
        List<ConnectorVerdict> verdicts = new ArrayList<>();
        Optional<ThreatLevel> fresh = Optional.empty();
        Optional<ThreatLevel> worstStale = Optional.empty();
        List<String> staleConnectors = new ArrayList<>();
        for (StoredVerdict verdict : stored) {
            ConnectorState connector = connectors.get(verdict.connectorId());
            String name = connector == null ? verdict.connectorId() : connector.displayName();
            Instant staleSince = connector == null ? verdict.receivedAt() : connector.staleSince(defaultStaleAfter);
            boolean stale = connector == null || connector.isStale(now, defaultStaleAfter);
            verdicts.add(new ConnectorVerdict(verdict, name, stale, staleSince));
            if (stale) {
                staleConnectors.add(name);
                worstStale = worse(worstStale, verdict.level());
            } else {
                fresh = worse(fresh, verdict.level());
            }
        }
        String level;
        if (worstStale.isPresent()) {
            ThreatLevel stale = worstStale.get();
            level = fresh.filter(freshLevel -> freshLevel.isWorseThan(stale)).map(Enum::name).orElse(ThreatService.UNKNOWN);
        } else {
            level = fresh.map(Enum::name).orElse(ThreatService.UNKNOWN);
        }
        return new DeviceThreatState(device, new Effective(level, fresh, staleConnectors), verdicts);
    }

    private static Optional<ThreatLevel> worse(Optional<ThreatLevel> worstSoFar, ThreatLevel level) {
        return worstSoFar.isEmpty() || level.isWorseThan(worstSoFar.get()) ? Optional.of(level) : worstSoFar;
    }

    /** @return the standing compliance's threat rule judges */
    ThreatStanding standing() {
        List<String> sources = new ArrayList<>();
        List<ThreatStanding.StaleVerdict> stale = new ArrayList<>();
        for (ConnectorVerdict verdict : verdicts) {
            if (verdict.stale()) {
                stale.add(new ThreatStanding.StaleVerdict(verdict.connector(), verdict.staleSince()));
            } else if (effective.freshLevel().isPresent() && verdict.verdict().level() == effective.freshLevel().get()) {
                sources.add(verdict.connector());
            }
        }
        return new ThreatStanding(effective.freshLevel(), sources, stale);
    }
}
