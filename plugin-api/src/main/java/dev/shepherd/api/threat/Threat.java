package dev.shepherd.api.threat;

import java.net.URI;
import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One threat a vendor found on a device: a malicious app, a network attack, a vulnerable OS, a jailbreak, an alert.
 *
 * @param id the vendor's id of the threat, stable across reports, not blank
 * @param type the kind of threat in the vendor's words, such as {@code MALWARE} or {@code NETWORK}, not blank
 * @param name what admins read, not blank
 * @param severity how bad it is, in the common scale
 * @param firstSeen when the vendor first saw it
 * @param lastSeen when the vendor last saw it, not before {@code firstSeen}
 * @param link where an admin reads more in the vendor's console, when the vendor has such a page
 * @since 0.12.0
 */
public record Threat(String id, String type, String name, ThreatLevel severity, Instant firstSeen, Instant lastSeen,
                     Optional<URI> link) {

    /** Validates every part. */
    public Threat {
        requireNonNull(id, "id is null");
        requireNonNull(type, "type is null");
        requireNonNull(name, "name is null");
        if (id.isBlank() || type.isBlank() || name.isBlank()) {
            throw new IllegalArgumentException("id, type and name must not be blank");
        }
        requireNonNull(severity, "severity is null");
        requireNonNull(firstSeen, "firstSeen is null");
        requireNonNull(lastSeen, "lastSeen is null");
        if (lastSeen.isBefore(firstSeen)) {
            throw new IllegalArgumentException("lastSeen is before firstSeen");
        }
        requireNonNull(link, "link is null");
    }
}
