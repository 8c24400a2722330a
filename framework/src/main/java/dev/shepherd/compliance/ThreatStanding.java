package dev.shepherd.compliance;

import dev.shepherd.api.threat.ThreatLevel;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A device's threat state as compliance judges it: the worst level among the fresh verdicts, and the verdicts that
 * went stale, which can no longer vouch for the device.
 *
 * @param freshLevel the worst level of the fresh verdicts; empty when no fresh verdict exists
 * @param freshSources the connectors whose fresh verdicts say {@code freshLevel}, by display name
 * @param stale the verdicts whose connectors have been silent past their stale age
 */
public record ThreatStanding(Optional<ThreatLevel> freshLevel, List<String> freshSources, List<StaleVerdict> stale) {

    /** No verdict at all. */
    public static final ThreatStanding NONE = new ThreatStanding(Optional.empty(), List.of(), List.of());

    public ThreatStanding {
        requireNonNull(freshLevel, "freshLevel is null");
        freshSources = List.copyOf(requireNonNull(freshSources, "freshSources is null"));
        stale = List.copyOf(requireNonNull(stale, "stale is null"));
    }

    /**
     * A verdict from a connector that went silent.
     *
     * @param connector the connector's display name
     * @param staleSince when its verdicts became stale: its last contact plus its stale age
     */
    public record StaleVerdict(String connector, Instant staleSince) {
        public StaleVerdict {
            requireNonNull(connector, "connector is null");
            requireNonNull(staleSince, "staleSince is null");
        }
    }
}
