package dev.shepherd.api.device;

import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A device a plugin registers ahead of its enrollment ({@link DeviceRegistry#preRegister}), such as one a platform
 * program (Apple's Automated Device Enrollment) lists as the organisation's: it is PENDING, corporate, until it
 * enrolls and claims this record by one of its hardware identifiers.
 *
 * @param platform its platform
 * @param serialNumber its serial number
 * @param model its model
 * @param name its display name; blank for the model and serial number
 * @param hardwareIds identifiers it will enroll with, at least one (such as {@code serial})
 * @param tags tags to start with
 * @since 0.12.0
 */
public record PreRegistration(Platform platform, String serialNumber, String model, String name,
                              Map<String, String> hardwareIds, Set<String> tags) {

    /** Validates and copies every part. */
    public PreRegistration {
        requireNonNull(platform, "platform is null");
        requireNonNull(serialNumber, "serialNumber is null");
        requireNonNull(model, "model is null");
        requireNonNull(name, "name is null");
        hardwareIds = Map.copyOf(requireNonNull(hardwareIds, "hardwareIds is null"));
        if (hardwareIds.isEmpty()) {
            throw new IllegalArgumentException("a pre-registered device needs at least one hardware identifier");
        }
        tags = Set.copyOf(requireNonNull(tags, "tags is null"));
    }
}
