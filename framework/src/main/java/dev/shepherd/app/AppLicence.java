package dev.shepherd.app;

import dev.shepherd.api.appstore.LicenceKind;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A licence the kernel obtained from a store: for a device, or for a user (covering all their devices).
 *
 * @param appId the app
 * @param deviceId the device holding it; for a user licence, the device it was first obtained for
 * @param reference the store's reference of the assignment, when it gave one
 * @param assignedAt when it was obtained
 * @param kind who holds it
 * @param userId the user holding a user licence; empty for a device licence
 */
public record AppLicence(String appId, String deviceId, Optional<String> reference, Instant assignedAt, LicenceKind kind,
                         Optional<String> userId) {
    public AppLicence {
        requireNonNull(appId, "appId is null");
        requireNonNull(deviceId, "deviceId is null");
        requireNonNull(reference, "reference is null");
        requireNonNull(assignedAt, "assignedAt is null");
        requireNonNull(kind, "kind is null");
        requireNonNull(userId, "userId is null");
        if (userId.isPresent() != (kind == LicenceKind.USER)) {
            throw new IllegalArgumentException("a user licence, and only one, names its user");
        }
    }

    /** A device's licence. */
    public static AppLicence ofDevice(String appId, String deviceId, Optional<String> reference, Instant assignedAt) {
        return new AppLicence(appId, deviceId, reference, assignedAt, LicenceKind.DEVICE, Optional.empty());
    }
}
