package dev.shepherd.api.threat;

import dev.shepherd.api.device.DeviceId;

import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A device as a threat-defense vendor knows it: the vendor's own id and whatever identifiers the vendor holds, from
 * which the kernel finds the managed device.
 *
 * <p>The kernel matches in this order and records the vendor's id at the first match, so later signals for the same
 * vendor id reach the same device even when the other identifiers change: a vendor id recorded before; the server's
 * own device id, when the vendor carries it (vendors that import devices from the MDM do); the serial number; then
 * the {@link #identifiers() identifiers}; then the device name, only when exactly one managed device has it. A
 * signal that matches no device, or more than one, is kept as unmatched for an admin to link.
 *
 * @param vendorDeviceId the vendor's stable id of the device, not blank
 * @param serverDeviceId the server's id of the device, when the vendor carries it
 * @param serialNumber the hardware serial number, when the vendor knows it
 * @param identifiers other identifiers by kind; the kernel matches the kinds its devices carry as hardware ids
 *        ({@code udid}, {@code enrollmentId}, {@code windowsDeviceId}, {@code amapiDevice}, {@code chromeDeviceId})
 *        and as inventory ({@code imei}, {@code meid}, {@code wifiMac}, {@code entraDeviceId}), and keeps the rest
 *        for admins
 * @param name the device name the vendor shows, when it has one
 * @since 0.12.0
 */
public record VendorDevice(String vendorDeviceId, Optional<DeviceId> serverDeviceId, Optional<String> serialNumber,
                           Map<String, String> identifiers, Optional<String> name) {

    /** Validates every part. */
    public VendorDevice {
        requireNonNull(vendorDeviceId, "vendorDeviceId is null");
        if (vendorDeviceId.isBlank()) {
            throw new IllegalArgumentException("vendorDeviceId is blank");
        }
        requireNonNull(serverDeviceId, "serverDeviceId is null");
        requireNonNull(serialNumber, "serialNumber is null");
        identifiers = Map.copyOf(requireNonNull(identifiers, "identifiers is null"));
        requireNonNull(name, "name is null");
    }

    /**
     * A device the vendor knows by its own id only.
     *
     * @param vendorDeviceId the vendor's id of the device
     * @return the device
     * @since 0.12.0
     */
    public static VendorDevice of(String vendorDeviceId) {
        return new VendorDevice(vendorDeviceId, Optional.empty(), Optional.empty(), Map.of(), Optional.empty());
    }
}
