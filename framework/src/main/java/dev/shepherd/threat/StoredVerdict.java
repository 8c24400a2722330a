package dev.shepherd.threat;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatLevel;

import java.time.Instant;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A connector's current verdict on a device, as stored.
 *
 * @param device the device
 * @param connectorId the connector that reported it
 * @param level the level in the common scale
 * @param vendorVerdict the vendor's own words
 * @param vendorDeviceId the vendor's id of the device
 * @param assessedAt when the vendor assessed the device
 * @param receivedAt when the server took the verdict
 * @param threats the threats behind the level
 */
public record StoredVerdict(DeviceId device, String connectorId, ThreatLevel level, String vendorVerdict, String vendorDeviceId,
                            Instant assessedAt, Instant receivedAt, List<Threat> threats) {

    public StoredVerdict {
        requireNonNull(device, "device is null");
        requireNonNull(connectorId, "connectorId is null");
        requireNonNull(level, "level is null");
        requireNonNull(vendorVerdict, "vendorVerdict is null");
        requireNonNull(vendorDeviceId, "vendorDeviceId is null");
        requireNonNull(assessedAt, "assessedAt is null");
        requireNonNull(receivedAt, "receivedAt is null");
        threats = List.copyOf(requireNonNull(threats, "threats is null"));
    }

    /** @return whether another verdict says the same: the times aside, nothing an admin or a rule reads differs */
    boolean saysTheSameAs(StoredVerdict other) {
        return level == other.level && vendorVerdict.equals(other.vendorVerdict) && vendorDeviceId.equals(other.vendorDeviceId)
                && threats.equals(other.threats);
    }
}
