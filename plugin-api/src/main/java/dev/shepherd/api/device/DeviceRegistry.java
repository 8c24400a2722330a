package dev.shepherd.api.device;

import java.time.Instant;
import java.util.List;
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
     * A device's lifecycle status alone, for the checks made on every device message (has its management ended?);
     * cheaper than {@link #find}, which reads the whole device. The kernel may answer from memory: a change made on
     * this node is seen as soon as it has committed, one made on another node of a cluster within the change feed's
     * polling interval (a quarter of a second).
     *
     * @param id the identifier
     * @return the status, or empty when there is no such device
     */
    default Optional<DeviceStatus> status(DeviceId id) {
        return find(id).map(Device::status);
    }

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
     * Checks an enrollment token without using it up, for example before serving an enrollment profile.
     *
     * @param token the token's secret
     * @return what it grants, or empty when it is unknown, expired, used up or revoked
     */
    Optional<EnrollmentGrant> checkEnrollmentToken(String token);

    /**
     * Completes an enrollment: uses up one use of the token (unless a program enrollment or a proven re-enrollment),
     * and creates the device, or re-enrolls a known device when the claim proves it is that device
     * ({@link EnrollmentClaim#provenDevice()}), claims a pre-registered (PENDING) device with a corporate token, or an
     * admin allowed it. Hardware identifiers alone never take over a device: a claim asserting those of another
     * enrolled device gets a record of its own, without them, and the conflict is recorded
     * ({@link dev.shepherd.api.event.EventTypes#DEVICE_IDENTITY_CONFLICT}, audit, inventory {@code identity.conflict}).
     * Compare the returned device's hardware identifiers with the claimed ones to tell.
     *
     * @param claim what the device presented
     * @return the enrolled device
     * @throws EnrollmentRefusedException when the token does not allow it
     */
    Device enroll(EnrollmentClaim claim);

    /**
     * Registers devices ahead of their enrollment, all or none: each becomes a PENDING corporate device, attributed to
     * the plugin, which a later enrollment of the platform's program ({@link EnrollmentMethod#PROGRAM}) or with a
     * corporate token claims by one of its hardware identifiers. Look devices up with {@link #findByHardwareId} first:
     * an identifier that belongs to a known device refuses the whole list.
     *
     * @param devices the devices, at most 1,000
     * @return the new devices' ids, in order
     * @throws IllegalStateException when a hardware identifier belongs to a known device
     * @throws IllegalArgumentException when the list is longer than 1,000
     * @throws UnsupportedOperationException when the kernel does not register devices for plugins
     * @since 0.12.0
     */
    default List<DeviceId> preRegister(List<PreRegistration> devices) {
        throw new UnsupportedOperationException("this kernel does not pre-register devices for plugins");
    }

    /**
     * Records that a device left management on its own (user removed the profile, unenrollment alert).
     *
     * @param id the device
     * @param reason the platform's words
     */
    void recordUnenrolled(DeviceId id, String reason);

    /**
     * Records that a device was erased outside Shepherd, as its platform reports it (such as a fully managed Android
     * device Google reports deleted, which Android follows with a factory reset): it becomes WIPED. A device whose
     * management an admin already ended stays as the admin left it. A kernel that does not tell the two apart records
     * it as {@link #recordUnenrolled}.
     *
     * @param id the device
     * @param reason the platform's words
     * @since 0.5.0
     */
    default void recordWiped(DeviceId id, String reason) {
        recordUnenrolled(id, reason);
    }

    /**
     * Escrows a disk-encryption recovery key the device reported, such as a Mac's FileVault personal recovery key the
     * plugin decrypted: the kernel keeps it sealed, never logs it, and shows it only to admins entitled to read recovery
     * keys, auditing every read. A key reported again changes nothing; a new one replaces it as the current key and
     * the old one is kept behind it.
     *
     * @param id the device
     * @param kind what the key opens, such as {@code filevault-personal}; at most 64 characters
     * @param key the recovery key in the clear; at most 4096 characters
     * @return whether the key was new
     * @throws IllegalArgumentException when the kind or key is blank or too long
     * @throws UnsupportedOperationException when the kernel keeps no recovery keys
     */
    default boolean escrowRecoveryKey(DeviceId id, String kind, String key) {
        throw new UnsupportedOperationException("this kernel keeps no recovery keys");
    }

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

    /**
     * Stores inventory the device reported as a complete list: like {@link #recordInventory}, and in the same
     * transaction removes the device's stored keys that start with {@code prefix} and are not in {@code inventory}.
     * A platform uses it for answers that list everything of a kind, such as every installed app, so that what
     * disappeared from the device disappears from its inventory too; a partial answer goes to
     * {@link #recordInventory} instead.
     *
     * @param id the device
     * @param prefix the keys the report is complete for, such as {@code apple.app.}; not blank
     * @param inventory flat key/value facts; keys outside {@code prefix} are stored as {@link #recordInventory} does
     * @throws IllegalArgumentException when the prefix is blank
     */
    void replaceInventory(DeviceId id, String prefix, Map<String, String> inventory);

    /**
     * Stores inventory of several devices at once, each as {@link #recordInventory} stores it, in one transaction
     * where the kernel can: for what a platform program lists about many devices (Apple's device assignment service
     * tells about a thousand at a time), which one call per device would take many seconds to write. Devices that do
     * not exist are left out. This default, for kernels that predate it, calls {@link #recordInventory} for each.
     *
     * @param inventories flat key/value facts by device
     * @since 0.12.1
     */
    default void recordInventories(Map<DeviceId, Map<String, String>> inventories) {
        inventories.forEach((id, inventory) -> {
            if (find(id).isPresent()) {
                recordInventory(id, inventory);
            }
        });
    }
}
