package dev.shepherd.api.device;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A managed device as the kernel's registry knows it.
 *
 * @param id the kernel's identifier
 * @param platform the OS family
 * @param status lifecycle state
 * @param ownership corporate or personal
 * @param name display name
 * @param serialNumber hardware serial number, empty when unknown
 * @param model model name or identifier, empty when unknown
 * @param osVersion operating-system version, empty when unknown
 * @param hardwareIds platform identifiers (for example {@code udid}, {@code imei}), by kind
 * @param userId the assigned user, if any
 * @param enrollmentMethod how it enrolled, once it has
 * @param compliance whether it meets the compliance rules
 * @param enrolledAt when enrollment completed, if it has
 * @param lastCheckIn when the device last talked to the server, if ever
 * @param tags admin-assigned tags
 * @param attributes admin-assigned attributes
 */
public record Device(
        DeviceId id,
        Platform platform,
        DeviceStatus status,
        Ownership ownership,
        String name,
        String serialNumber,
        String model,
        String osVersion,
        Map<String, String> hardwareIds,
        Optional<String> userId,
        Optional<EnrollmentMethod> enrollmentMethod,
        ComplianceState compliance,
        Optional<Instant> enrolledAt,
        Optional<Instant> lastCheckIn,
        Set<String> tags,
        Map<String, String> attributes) {

    /** Validates and copies every part. */
    public Device {
        requireNonNull(id, "id is null");
        requireNonNull(platform, "platform is null");
        requireNonNull(status, "status is null");
        requireNonNull(ownership, "ownership is null");
        requireNonNull(name, "name is null");
        requireNonNull(serialNumber, "serialNumber is null");
        requireNonNull(model, "model is null");
        requireNonNull(osVersion, "osVersion is null");
        hardwareIds = Map.copyOf(requireNonNull(hardwareIds, "hardwareIds is null"));
        requireNonNull(userId, "userId is null");
        requireNonNull(enrollmentMethod, "enrollmentMethod is null");
        requireNonNull(compliance, "compliance is null");
        requireNonNull(enrolledAt, "enrolledAt is null");
        requireNonNull(lastCheckIn, "lastCheckIn is null");
        tags = Set.copyOf(requireNonNull(tags, "tags is null"));
        attributes = Map.copyOf(requireNonNull(attributes, "attributes is null"));
    }
}
