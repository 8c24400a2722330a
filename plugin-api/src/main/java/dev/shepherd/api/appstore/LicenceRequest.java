package dev.shepherd.api.appstore;

import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A licence to assign to, or revoke from, a device or its user.
 *
 * @param storeAppId the store's id of the app
 * @param device the device
 * @param platform the device's platform
 * @param serialNumber the device's serial number, when known (Apple assigns device licences by serial number)
 * @param user the device's user, when it has one (for stores that assign licences to users)
 * @since 0.8.0
 */
public record LicenceRequest(String storeAppId, DeviceId device, Platform platform, Optional<String> serialNumber,
                             Optional<String> user) {

    /** Validates every part. */
    public LicenceRequest {
        requireNonNull(storeAppId, "storeAppId is null");
        if (storeAppId.isBlank()) {
            throw new IllegalArgumentException("storeAppId is blank");
        }
        requireNonNull(device, "device is null");
        requireNonNull(platform, "platform is null");
        requireNonNull(serialNumber, "serialNumber is null");
        requireNonNull(user, "user is null");
        if (serialNumber.isPresent() && serialNumber.get().isBlank()) {
            throw new IllegalArgumentException("serialNumber is present but blank");
        }
        if (user.isPresent() && user.get().isBlank()) {
            throw new IllegalArgumentException("user is present but blank");
        }
    }

    /**
     * The request for a device as the registry knows it: its serial number when it reported one, its user when it
     * has one.
     *
     * @param storeAppId the store's id of the app
     * @param device the device
     * @return the request
     * @since 0.8.0
     */
    public static LicenceRequest forDevice(String storeAppId, Device device) {
        requireNonNull(device, "device is null");
        Optional<String> serial = device.serialNumber().isBlank() ? Optional.empty() : Optional.of(device.serialNumber());
        return new LicenceRequest(storeAppId, device.id(), device.platform(), serial, device.userId().filter(user -> !user.isBlank()));
    }
}
