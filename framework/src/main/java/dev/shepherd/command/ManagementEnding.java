package dev.shepherd.command;

import dev.shepherd.device.DeviceRecord;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What ending a device's management did ({@link CommandService#endManagement}).
 *
 * @param device the device after: RETIRED or WIPED
 * @param finalCommand the command queued to tell the device, if one was
 */
public record ManagementEnding(DeviceRecord device, Optional<CommandRecord> finalCommand) {
    public ManagementEnding {
        requireNonNull(device, "device is null");
        requireNonNull(finalCommand, "finalCommand is null");
    }
}
