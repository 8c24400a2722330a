package dev.shepherd.device;

import dev.shepherd.api.device.Device;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A device with what only the kernel and admins see: its row version for optimistic concurrency, how and by whom
 * it was enrolled, and when its record changed.
 *
 * @param device the device as plugins see it
 * @param version increases with every change; admins send it back to avoid overwriting a concurrent change
 * @param enrolledBy who enrolled it: an admin, a plugin, or the token's creator
 * @param enrollmentTokenId the token it enrolled with, if any
 * @param createdAt when the record was made
 * @param updatedAt when the record last changed
 */
public record DeviceRecord(Device device, long version, Optional<String> enrolledBy, Optional<String> enrollmentTokenId,
                           Instant createdAt, Instant updatedAt) {
    public DeviceRecord {
        requireNonNull(device, "device is null");
        requireNonNull(enrolledBy, "enrolledBy is null");
        requireNonNull(enrollmentTokenId, "enrollmentTokenId is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
