package dev.shepherd.api.threat;

import java.time.Instant;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A threat-defense vendor's current verdict on one device: its level and the threats behind it. Each assessment
 * replaces the connector's previous one for the device, so a vendor that cleared a device reports it at
 * {@link ThreatLevel#NONE} with no threats.
 *
 * @param device the device as the vendor knows it
 * @param level the device's level in the common scale
 * @param vendorVerdict the vendor's own verdict in its own words (such as {@code riskScore=High,
 *        exposureLevel=Medium}), shown to admins beside the level
 * @param threats the threats behind the level, possibly none
 * @param assessedAt when the vendor assessed the device; the kernel ignores an assessment older than the one it has
 * @since 0.12.0
 */
public record ThreatAssessment(VendorDevice device, ThreatLevel level, String vendorVerdict, List<Threat> threats,
                               Instant assessedAt) {

    /** Validates every part. */
    public ThreatAssessment {
        requireNonNull(device, "device is null");
        requireNonNull(level, "level is null");
        requireNonNull(vendorVerdict, "vendorVerdict is null");
        threats = List.copyOf(requireNonNull(threats, "threats is null"));
        requireNonNull(assessedAt, "assessedAt is null");
    }
}
