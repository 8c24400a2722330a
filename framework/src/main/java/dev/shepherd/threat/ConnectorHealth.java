package dev.shepherd.threat;

import java.time.Duration;
import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * A connector's health as admins see it.
 *
 * @param state the connector as stored
 * @param staleAfter the stale age in force
 * @param stale whether it has been silent for longer than that
 * @param staleSince when its verdicts went, or go, stale
 * @param matched how many devices it has verdicts on
 * @param unmatched how many of its signals matched no device
 */
public record ConnectorHealth(ConnectorState state, Duration staleAfter, boolean stale, Instant staleSince, long matched, long unmatched) {
    public ConnectorHealth {
        requireNonNull(state, "state is null");
        requireNonNull(staleAfter, "staleAfter is null");
        requireNonNull(staleSince, "staleSince is null");
    }
}
