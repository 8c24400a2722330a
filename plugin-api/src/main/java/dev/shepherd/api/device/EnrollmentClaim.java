package dev.shepherd.api.device;

import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What a platform plugin knows about a device completing enrollment.
 *
 * @param enrollmentToken the enrollment token's secret the device presented; empty for program enrollments,
 *        which the platform plugin has authenticated itself
 * @param platform the device's platform
 * @param method how it is enrolling
 * @param hardwareIds platform identifiers by kind (such as {@code udid}); a device already known by one of them is
 *        re-enrolled rather than duplicated
 * @param serialNumber hardware serial number, empty when unknown
 * @param model model, empty when unknown
 * @param osVersion operating-system version, empty when unknown
 * @param name the device's name, empty for a generated one
 * @param userId the directory user who signed in to enroll it ({@link EnrollmentMethod#CREDENTIALS}), as
 *        {@link dev.shepherd.api.identity.UserAuthenticator} returned; the device is assigned to them
 */
public record EnrollmentClaim(Optional<String> enrollmentToken, Platform platform, EnrollmentMethod method,
                              Map<String, String> hardwareIds, String serialNumber, String model, String osVersion,
                              String name, Optional<String> userId) {

    /** A claim made without a signed-in user (a token, a program or an admin enrolls the device). */
    public EnrollmentClaim(Optional<String> enrollmentToken, Platform platform, EnrollmentMethod method,
                           Map<String, String> hardwareIds, String serialNumber, String model, String osVersion, String name) {
        this(enrollmentToken, platform, method, hardwareIds, serialNumber, model, osVersion, name, Optional.empty());
    }

    /** Validates and copies every part. */
    public EnrollmentClaim {
        requireNonNull(enrollmentToken, "enrollmentToken is null");
        requireNonNull(platform, "platform is null");
        requireNonNull(method, "method is null");
        requireNonNull(userId, "userId is null");
        if (method == EnrollmentMethod.CREDENTIALS && userId.isEmpty()) {
            throw new IllegalArgumentException("an enrollment by credentials names the user who signed in");
        }
        hardwareIds = Map.copyOf(requireNonNull(hardwareIds, "hardwareIds is null"));
        if (hardwareIds.isEmpty()) {
            throw new IllegalArgumentException("a device is enrolled with at least one hardware identifier");
        }
        requireNonNull(serialNumber, "serialNumber is null");
        requireNonNull(model, "model is null");
        requireNonNull(osVersion, "osVersion is null");
        requireNonNull(name, "name is null");
    }
}
