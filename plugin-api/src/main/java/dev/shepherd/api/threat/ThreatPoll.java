package dev.shepherd.api.threat;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What one {@link ThreatDefenseConnector#poll poll} found.
 *
 * @param assessments the assessments that changed since the cursor the poll was given, possibly none
 * @param nextCursor where the next poll resumes (a timestamp, a stream position, a page link: the connector's
 *        choice, at most 4,000 characters); the kernel stores it durably with the assessments, in one transaction,
 *        and passes it to the next poll; empty to start again from the beginning
 * @param more true when the connector has more to report at once (a further page); the kernel polls again without
 *        waiting for the interval
 * @since 0.12.0
 */
public record ThreatPoll(List<ThreatAssessment> assessments, Optional<String> nextCursor, boolean more) {

    /** Validates every part. */
    public ThreatPoll {
        assessments = List.copyOf(requireNonNull(assessments, "assessments is null"));
        requireNonNull(nextCursor, "nextCursor is null");
        if (nextCursor.map(String::length).orElse(0) > 4_000) {
            throw new IllegalArgumentException("nextCursor is longer than 4,000 characters");
        }
    }
}
