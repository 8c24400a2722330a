package dev.shepherd.device;

import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentGrant;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.device.PreRegistration;
import dev.shepherd.audit.Actor;
import dev.shepherd.enrollment.EnrollmentTokens;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** The device registry as one plugin sees it: every change it makes is attributed to it. */
public final class PluginDeviceRegistry implements DeviceRegistry {

    private final Actor actor;
    private final DeviceService devices;
    private final EnrollmentTokens tokens;
    private final RecoveryKeys recoveryKeys;

    public PluginDeviceRegistry(String pluginId, DeviceService devices, EnrollmentTokens tokens, RecoveryKeys recoveryKeys) {
        this.recoveryKeys = requireNonNull(recoveryKeys, "recoveryKeys is null");
        this.actor = Actor.plugin(requireNonNull(pluginId, "pluginId is null"));
        this.devices = requireNonNull(devices, "devices is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
    }

    @Override
    public Optional<Device> find(DeviceId id) {
        return devices.get(id).map(DeviceRecord::device);
    }

    @Override
    public Optional<DeviceStatus> status(DeviceId id) {
        return devices.status(id);
    }

    @Override
    public Optional<Device> findByHardwareId(Platform platform, String kind, String value) {
        return devices.idByHardwareId(platform, kind, value).flatMap(this::find);
    }

    @Override
    public Optional<EnrollmentGrant> checkEnrollmentToken(String token) {
        return tokens.check(requireNonNull(token, "token is null"));
    }

    @Override
    public Device enroll(EnrollmentClaim claim) {
        return devices.enroll(actor, claim).device();
    }

    @Override
    public List<DeviceId> preRegister(List<PreRegistration> registrations) {
        if (registrations.size() > 1000) {
            throw new IllegalArgumentException("at most 1,000 devices are pre-registered at once");
        }
        List<DeviceImport> imports = registrations.stream().map(device -> new DeviceImport(device.platform(), device.serialNumber(),
                device.model(), device.name(), Ownership.CORPORATE, device.hardwareIds(), device.tags())).toList();
        try {
            return devices.importDevices(actor, imports);
        } catch (DeviceConflictException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void recordUnenrolled(DeviceId id, String reason) {
        leftManagement(id, DeviceStatus.RETIRED, "unenrolled by the device: " + reason);
    }

    @Override
    public void recordWiped(DeviceId id, String reason) {
        leftManagement(id, DeviceStatus.WIPED, "wiped, as the device's platform reports: " + reason);
    }

    /** A device that left management on its own; one whose management an admin already ended stays as the admin left it. */
    private void leftManagement(DeviceId id, DeviceStatus status, String reason) {
        if (devices.get(id).map(device -> device.device().status() != DeviceStatus.RETIRED
                && device.device().status() != DeviceStatus.WIPED
                && (status == DeviceStatus.RETIRED || device.device().status() != DeviceStatus.PENDING)).orElse(false)) {
            devices.changeStatus(actor, id, status, reason);
        }
    }

    @Override
    public boolean escrowRecoveryKey(DeviceId id, String kind, String key) {
        return recoveryKeys.escrow(actor, requireNonNull(id, "id is null"), kind, key);
    }

    @Override
    public void recordCheckIn(DeviceId id, Instant at) {
        devices.recordCheckIn(id, at);
    }

    @Override
    public void recordInventory(DeviceId id, Map<String, String> inventory) {
        devices.recordInventory(actor, id, inventory);
    }

    @Override
    public void recordInventories(Map<DeviceId, Map<String, String>> inventories) {
        devices.recordInventories(actor, inventories);
    }

    @Override
    public void replaceInventory(DeviceId id, String prefix, Map<String, String> inventory) {
        devices.replaceInventory(actor, id, prefix, inventory);
    }
}
