package dev.shepherd.command;

import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.platform.ManagementEnd;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceConflictException;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceService;
import dev.shepherd.json.Json;
import dev.shepherd.storage.Transactions;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;

import static java.util.Objects.requireNonNull;

/**
 * Retiring and wiping: the one path by which management of a device ends, the same on every platform.
 *
 * <p>In one transaction the device becomes RETIRED or WIPED, its open commands are cancelled, and the platform's final
 * command ({@link dev.shepherd.api.platform.PlatformSupport#endManagement}: an erase, the removal of the enrollment
 * profile, an unenrollment, a delete at Google) is queued, marked as ending management. The status changes at once
 * so that no policy, compliance or admin command reaches the device any more; the final command is the one thing the
 * device is still handed ({@link CommandService#take}). The platform revokes the device's identity when the device
 * has answered it; from then on the device's old certificate is refused by every device endpoint, and nothing it
 * sends can bring it back: only a new enrollment can.
 */
public final class ManagementEndings {

    private final Transactions transactions;
    private final DeviceService devices;
    private final CommandService commands;
    private final AuditLog audit;
    private final Json json;
    private volatile BiFunction<Device, Boolean, Optional<ManagementEnd>> platforms =
            (device, wipe) -> Optional.of(ManagementEnd.standard(wipe));

    public ManagementEndings(Transactions transactions, DeviceService devices, CommandService commands, AuditLog audit, Json json) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.devices = requireNonNull(devices, "devices is null");
        this.commands = requireNonNull(commands, "commands is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
    }

    /** Where the platforms' final commands come from; until set, the standard ones ({@link ManagementEnd#standard}). */
    public void setPlatforms(BiFunction<Device, Boolean, Optional<ManagementEnd>> platforms) {
        this.platforms = requireNonNull(platforms, "platforms is null");
    }

    /**
     * What ending management did.
     *
     * @param device the device after: RETIRED or WIPED
     * @param finalCommand the command queued to tell the device, if one was
     */
    public record Ended(DeviceRecord device, Optional<CommandRecord> finalCommand) {
        public Ended {
            requireNonNull(device, "device is null");
            requireNonNull(finalCommand, "finalCommand is null");
        }
    }

    /**
     * Retires ({@code wipe} false) or wipes a device. Asking again for a device already in that state changes nothing.
     *
     * @param reason the admin's words, audited
     * @return what was done, or empty when there is no such device
     * @throws DeviceConflictException when the device cannot go there: already ended the other way, a personal device
     *         to be wiped, or a device never enrolled to be wiped
     */
    public Optional<Ended> end(Actor actor, DeviceId id, boolean wipe, String reason) {
        requireNonNull(actor, "actor is null");
        requireNonNull(reason, "reason is null");
        DeviceStatus target = wipe ? DeviceStatus.WIPED : DeviceStatus.RETIRED;
        Optional<DeviceRecord> before = devices.get(id);
        if (before.isEmpty()) {
            return Optional.empty();
        }
        Device device = before.get().device();
        if (device.status() == target) {
            return Optional.of(new Ended(before.get(), Optional.empty()));
        }
        if (wipe && device.ownership() == Ownership.PERSONAL) {
            throw new DeviceConflictException("a personal device cannot be wiped; retire it, which removes only what the organisation put on it");
        }
        // The platform is asked before the transaction: plugin code is not run while the device's row is locked.
        // A device that never enrolled (PENDING) has nothing to be told.
        Optional<ManagementEnd> finalCommand = device.status() == DeviceStatus.PENDING ? Optional.empty() : platforms.apply(device, wipe);
        return transactions.inTransaction("end the management of device " + id, tx -> {
            // The platform chose for the status it saw; a device that moved meanwhile is looked at again by the admin.
            if (devices.get(tx, id).map(current -> current.device().status() != device.status()).orElse(false)) {
                throw new DeviceConflictException("device " + id + " changed status meanwhile; look at it again and retry");
            }
            Optional<DeviceRecord> after = devices.changeStatus(tx, actor, id, target, reason);
            if (after.isEmpty()) {
                return Optional.empty();
            }
            List<UUID> open = new ArrayList<>();
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT id FROM command WHERE device_id = ? AND state IN ('QUEUED', 'SENT', 'NOT_NOW')")) {
                select.setString(1, id.toString());
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        open.add(UUID.fromString(rows.getString(1).trim()));
                    }
                }
            }
            for (UUID command : open) {
                commands.cancel(tx, command);
            }
            Optional<CommandRecord> queued = Optional.empty();
            if (finalCommand.isPresent()) {
                // Above any priority an admin can give, so it is the first thing the device is handed.
                CommandRecord issued = commands.issue(tx, actor, id, new CommandRequest(finalCommand.get().type(),
                        finalCommand.get().parameters(), 100, Optional.empty()));
                try (PreparedStatement mark = tx.connection().prepareStatement("UPDATE command SET ends_management = 1 WHERE id = ?")) {
                    mark.setString(1, issued.command().id().toString());
                    mark.executeUpdate();
                }
                queued = Optional.of(issued);
            }
            audit.append(tx, new AuditRecord(actor, wipe ? "device.wipe" : "device.retire", "device", id.toString(), Optional.empty(),
                    Optional.of(json.write(Map.of("status", target, "cancelledCommands", open.size(),
                            "finalCommand", queued.map(record -> record.command().id() + " " + record.command().type()).orElse("none"))))));
            return Optional.of(new Ended(after.get(), queued));
        });
    }
}
