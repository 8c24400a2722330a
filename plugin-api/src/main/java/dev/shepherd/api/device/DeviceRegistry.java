package dev.shepherd.api.device;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel's registry of devices, as platform plugins see it.
 *
 * <p>A plugin may look devices up and report what they tell it; it may not retire or wipe them directly
 * (that goes through the command bus so it is authorised and audited).
 */
public interface DeviceRegistry {

    /**
     * Looks a device up by the kernel's identifier.
     *
     * @param id the identifier
     * @return the device, or empty when there is none
     */
    Optional<Device> find(DeviceId id);

    /**
     * Looks a device up by a platform hardware identifier, such as an Apple UDID.
     *
     * @param platform the platform the identifier belongs to
     * @param kind the kind of identifier, such as {@code udid}
     * @param value the identifier
     * @return the device, or empty when there is none
     */
    Optional<Device> findByHardwareId(Platform platform, String kind, String value);

    /**
     * Records that a device talked to the server.
     *
     * @param id the device
     * @param at when
     */
    void recordCheckIn(DeviceId id, Instant at);

    /**
     * Stores inventory the device reported, replacing the previous values of the same keys.
     *
     * @param id the device
     * @param inventory flat key/value facts such as {@code os.version}
     */
    void recordInventory(DeviceId id, Map<String, String> inventory);
}
