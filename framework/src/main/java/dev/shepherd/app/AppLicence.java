package dev.shepherd.app;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A licence the kernel obtained from a store for a device.
 *
 * @param appId the app
 * @param deviceId the device
 * @param reference the store's reference of the assignment, when it gave one
 * @param assignedAt when it was obtained
 */
public record AppLicence(String appId, String deviceId, Optional<String> reference, Instant assignedAt) {
    public AppLicence {
        requireNonNull(appId, "appId is null");
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(reference, "reference is null");
        requireNonNull(assignedAt, "assignedAt is null");
    }
}
