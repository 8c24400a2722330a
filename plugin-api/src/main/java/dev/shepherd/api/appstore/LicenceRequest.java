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
 * @param device the device the licence is asked for (for a {@link LicenceKind#USER} licence: the device that needed it
 *        first, or that was last to need it when it is revoked)
 * @param platform the device's platform
 * @param serialNumber the device's serial number, when known (Apple assigns device licences by serial number)
 * @param user the device's user id, when it has one (for stores that assign licences to users)
 * @param kind who holds the licence: the device, or the user (since 0.10.0)
 * @param licenceUser for a {@link LicenceKind#USER} licence, the user's details a store needs to find or create its own
 *        record of the user; empty for a device licence (since 0.10.0)
 * @since 0.8.0
 */
public record LicenceRequest(String storeAppId, DeviceId device, Platform platform, Optional<String> serialNumber,
                             Optional<String> user, LicenceKind kind, Optional<LicenceUser> licenceUser) {

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
        requireNonNull(kind, "kind is null");
        requireNonNull(licenceUser, "licenceUser is null");
        if (serialNumber.isPresent() && serialNumber.get().isBlank()) {
            throw new IllegalArgumentException("serialNumber is present but blank");
        }
        if (user.isPresent() && user.get().isBlank()) {
            throw new IllegalArgumentException("user is present but blank");
        }
        if (kind == LicenceKind.USER && licenceUser.isEmpty()) {
            throw new IllegalArgumentException("a user licence needs the user's details");
        }
        if (kind == LicenceKind.DEVICE && licenceUser.isPresent()) {
            throw new IllegalArgumentException("a device licence has no user's details");
        }
        if (licenceUser.isPresent() && !user.equals(Optional.of(licenceUser.get().id()))) {
            throw new IllegalArgumentException("the user's details are not those of the request's user");
        }
    }

    /**
     * A device licence, as every request was before 0.10.0.
     *
     * @param storeAppId the store's id of the app
     * @param device the device
     * @param platform the device's platform
     * @param serialNumber the device's serial number, when known
     * @param user the device's user id, when it has one
     * @since 0.8.0
     */
    public LicenceRequest(String storeAppId, DeviceId device, Platform platform, Optional<String> serialNumber, Optional<String> user) {
        this(storeAppId, device, platform, serialNumber, user, LicenceKind.DEVICE, Optional.empty());
    }

    /**
     * The device licence for a device as the registry knows it: its serial number when it reported one, its user when
     * it has one.
     *
     * @param storeAppId the store's id of the app
     * @param device the device
     * @return the request
     * @since 0.8.0
     */
    public static LicenceRequest forDevice(String storeAppId, Device device) {
        requireNonNull(device, "device is null");
        return new LicenceRequest(storeAppId, device.id(), device.platform(), serial(device), device.userId().filter(user -> !user.isBlank()));
    }

    /**
     * The user licence for a device's user: one licence of the app for the person, covering every device of theirs.
     *
     * @param storeAppId the store's id of the app
     * @param device the device that needs the app
     * @param user the device's user, as the directory knows them; their id is the device's user id
     * @return the request
     * @throws IllegalArgumentException when {@code user} is not the device's user
     * @since 0.10.0
     */
    public static LicenceRequest forUser(String storeAppId, Device device, LicenceUser user) {
        requireNonNull(device, "device is null");
        requireNonNull(user, "user is null");
        return new LicenceRequest(storeAppId, device.id(), device.platform(), serial(device), Optional.of(user.id()), LicenceKind.USER,
                Optional.of(user));
    }

    private static Optional<String> serial(Device device) {
        return device.serialNumber().isBlank() ? Optional.empty() : Optional.of(device.serialNumber());
    }
}
