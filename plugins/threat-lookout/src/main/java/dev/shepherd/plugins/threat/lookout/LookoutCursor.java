package dev.shepherd.plugins.threat.lookout;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Where the connector resumes, as the kernel keeps it between polls. A first read walks Lookout's open threats, then
 * its devices, page by page ({@link Phase#THREATS}, {@link Phase#DEVICES}, with the last OID read); it remembers when
 * it began ({@code since}) and then reads the event stream from that moment, so nothing that changed during the pages
 * is missed ({@link Phase#STREAM_FROM_TIME}); from then on the cursor is the id of the last event the connector
 * turned into assessments ({@link Phase#STREAM_FROM_ID}).
 *
 * @param phase what the next poll reads
 * @param since when the full read began, or, in {@code STREAM_FROM_ID}, when the stream was last read
 * @param position the last OID read (pages) or the last event id (stream), when there is one
 */
record LookoutCursor(Phase phase, Instant since, Optional<String> position) {

    enum Phase { THREATS, DEVICES, STREAM_FROM_TIME, STREAM_FROM_ID }

    LookoutCursor {
        requireNonNull(phase, "phase is null");
        requireNonNull(since, "since is null");
        requireNonNull(position, "position is null");
        position.ifPresent(value -> {
            if (!LookoutJson.IDENTIFIER.matcher(value).matches()) {
                throw new IllegalArgumentException("malformed position");
            }
        });
        if (phase == Phase.STREAM_FROM_ID && position.isEmpty()) {
            throw new IllegalArgumentException("a stream position needs an event id");
        }
    }

    static LookoutCursor start(Instant now) {
        return new LookoutCursor(Phase.THREATS, now, Optional.empty());
    }

    static LookoutCursor afterEvent(String eventId, Instant readAt) {
        return new LookoutCursor(Phase.STREAM_FROM_ID, readAt, Optional.of(eventId));
    }

    LookoutCursor at(Phase next, Optional<String> nextPosition) {
        return new LookoutCursor(next, since, nextPosition);
    }

    String format() {
        return phase.name() + "|" + since.toEpochMilli() + "|" + position.orElse("");
    }

    /** @throws IllegalArgumentException for anything this class did not write */
    static LookoutCursor parse(String text) {
        String[] parts = requireNonNull(text, "text is null").split("\\|", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a Lookout cursor");
        }
        try {
            return new LookoutCursor(Phase.valueOf(parts[0]), Instant.ofEpochMilli(Long.parseLong(parts[1])),
                    parts[2].isEmpty() ? Optional.empty() : Optional.of(parts[2]));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a Lookout cursor", e);
        }
    }
}
