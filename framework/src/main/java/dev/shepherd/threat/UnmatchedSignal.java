package dev.shepherd.threat;

import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.VendorDevice;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * A signal that matched no managed device, or more than one, kept (the latest per vendor device) for an admin to link.
 *
 * @param connectorId the connector that reported it
 * @param vendorDeviceId the vendor's id of the device
 * @param device the device as the vendor described it
 * @param level the level the vendor reported
 * @param reason why it matched nothing
 * @param assessedAt when the vendor assessed the device
 * @param receivedAt when the server received it
 */
public record UnmatchedSignal(String connectorId, String vendorDeviceId, VendorDevice device, ThreatLevel level, String reason,
                              Instant assessedAt, Instant receivedAt) {

    public UnmatchedSignal {
        requireNonNull(connectorId, "connectorId is null");
        requireNonNull(vendorDeviceId, "vendorDeviceId is null");
        requireNonNull(device, "device is null");
        requireNonNull(level, "level is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(assessedAt, "assessedAt is null");
        requireNonNull(receivedAt, "receivedAt is null");
    }
}
