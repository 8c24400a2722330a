package dev.shepherd.api.threat;

import dev.shepherd.api.device.DeviceId;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * A threat-defense vendor's verdict on one device.
 *
 * @param deviceId the device
 * @param level the threat level
 * @param assessedAt when the vendor assessed it
 * @param detail the vendor's explanation, for admins
 */
public record ThreatAssessment(DeviceId deviceId, ThreatLevel level, Instant assessedAt, String detail) {

    /** Validates every part. */
    public ThreatAssessment {
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(level, "level is null");
        requireNonNull(assessedAt, "assessedAt is null");
        requireNonNull(detail, "detail is null");
    }
}
