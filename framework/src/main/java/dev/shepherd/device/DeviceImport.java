package dev.shepherd.device;

import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;

import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A device registered ahead of its enrollment, for example from a purchase list: it is pending until it enrolls,
 * and then keeps this record (matched by its hardware identifiers).
 *
 * @param platform its platform
 * @param serialNumber its serial number
 * @param model its model
 * @param name its display name
 * @param ownership corporate or personal
 * @param hardwareIds platform identifiers it will enroll with, at least one
 * @param tags tags to start with
 */
public record DeviceImport(Platform platform, String serialNumber, String model, String name, Ownership ownership,
                           Map<String, String> hardwareIds, Set<String> tags) {
    public DeviceImport {
        requireNonNull(platform, "platform is null");
        requireNonNull(serialNumber, "serialNumber is null");
        requireNonNull(model, "model is null");
        requireNonNull(name, "name is null");
        requireNonNull(ownership, "ownership is null");
        hardwareIds = Map.copyOf(requireNonNull(hardwareIds, "hardwareIds is null"));
        if (hardwareIds.isEmpty()) {
            throw new IllegalArgumentException("an imported device needs at least one hardware identifier");
        }
        tags = Set.copyOf(requireNonNull(tags, "tags is null"));
    }
}
