package dev.shepherd.api.threat;

import org.pf4j.ExtensionPoint;

import java.time.Instant;
import java.util.List;

/** A mobile threat-defense integration that feeds device threat levels into compliance. */
public interface ThreatDefenseConnector extends ExtensionPoint {

    /**
     * A short unique id of this connector.
     *
     * @return the id
     */
    String id();

    /**
     * The assessments that changed since a moment, polled periodically by the kernel.
     *
     * @param since the moment of the previous poll
     * @return changed assessments, possibly none
     */
    List<ThreatAssessment> changedSince(Instant since);
}
