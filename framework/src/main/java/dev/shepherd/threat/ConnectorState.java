package dev.shepherd.threat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A connector as the store keeps it, whether or not its plugin runs now.
 *
 * @param connectorId the connector's id
 * @param pluginId the plugin that registers it
 * @param displayName the vendor's name
 * @param cursor where the next poll resumes
 * @param lastHeardAt the last successful poll or push, heartbeats included
 * @param lastSuccessAt the last successful poll
 * @param lastFailureAt the last failed poll
 * @param lastFailure why it failed
 * @param consecutiveFailures failed polls since the last successful one
 * @param nextPollAt when the next poll is due
 * @param declaredStaleAfter the connector's own stale age
 * @param adminStaleAfter an admin's override of the stale age
 * @param markedStale whether the connector was stale when last judged
 * @param createdAt when the server first heard of it
 */
public record ConnectorState(String connectorId, String pluginId, String displayName, Optional<String> cursor,
                             Optional<Instant> lastHeardAt, Optional<Instant> lastSuccessAt, Optional<Instant> lastFailureAt,
                             Optional<String> lastFailure, int consecutiveFailures, Optional<Instant> nextPollAt,
                             Optional<Duration> declaredStaleAfter, Optional<Duration> adminStaleAfter, boolean markedStale,
                             Instant createdAt) {

    public ConnectorState {
        requireNonNull(connectorId, "connectorId is null");
        requireNonNull(pluginId, "pluginId is null");
        requireNonNull(displayName, "displayName is null");
        requireNonNull(cursor, "cursor is null");
        requireNonNull(lastHeardAt, "lastHeardAt is null");
        requireNonNull(lastSuccessAt, "lastSuccessAt is null");
        requireNonNull(lastFailureAt, "lastFailureAt is null");
        requireNonNull(lastFailure, "lastFailure is null");
        requireNonNull(nextPollAt, "nextPollAt is null");
        requireNonNull(declaredStaleAfter, "declaredStaleAfter is null");
        requireNonNull(adminStaleAfter, "adminStaleAfter is null");
        requireNonNull(createdAt, "createdAt is null");
    }

    /**
     * The stale age in force: an admin's override, else the connector's own, else the server's default.
     *
     * @param serverDefault {@code threat.staleAfter}
     */
    public Duration staleAfter(Duration serverDefault) {
        return adminStaleAfter.or(() -> declaredStaleAfter).orElse(serverDefault);
    }

    /** @return when its verdicts went (or go) stale: its last contact (or, never heard, its first sight) plus the stale age */
    public Instant staleSince(Duration serverDefault) {
        return lastHeardAt.orElse(createdAt).plus(staleAfter(serverDefault));
    }

    /** @return whether the connector has been silent for longer than its stale age at {@code now} */
    public boolean isStale(Instant now, Duration serverDefault) {
        return now.isAfter(staleSince(serverDefault));
    }
}
