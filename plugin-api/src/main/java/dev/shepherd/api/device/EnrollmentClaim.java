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
 * @param hardwareIds platform identifiers by kind (such as {@code udid}), as the device asserts them. Asserting an
 *        identifier proves nothing: a device already known by one of them is re-enrolled only with proof (see
 *        {@code provenDevice}), when it is an unclaimed pre-registered device and the token is corporate, or when an
 *        admin allowed it; otherwise the newcomer gets a record of its own and the conflict is recorded
 * @param serialNumber hardware serial number, empty when unknown
 * @param model model, empty when unknown
 * @param osVersion operating-system version, empty when unknown
 * @param name the device's name, empty for a generated one
 * @param userId the directory user who signed in to enroll it ({@link EnrollmentMethod#CREDENTIALS}), as
 *        {@link dev.shepherd.api.identity.UserAuthenticator} returned; the device is assigned to them
 * @param provenDevice the enrolled device the client proved to be, by presenting the certificate currently bound to
 *        it (or one the server issued over that device's authenticated channel, as at an identity renewal); that
 *        device is re-enrolled, keeping its ownership, user, groups and policies, and no token is needed. Empty for
 *        an enrollment that proves nothing
 */
public record EnrollmentClaim(Optional<String> enrollmentToken, Platform platform, EnrollmentMethod method,
                              Map<String, String> hardwareIds, String serialNumber, String model, String osVersion,
                              String name, Optional<String> userId, Optional<DeviceId> provenDevice) {

    /** A claim that proves no earlier enrollment, by a signed-in user. */
    public EnrollmentClaim(Optional<String> enrollmentToken, Platform platform, EnrollmentMethod method,
                           Map<String, String> hardwareIds, String serialNumber, String model, String osVersion,
                           String name, Optional<String> userId) {
        this(enrollmentToken, platform, method, hardwareIds, serialNumber, model, osVersion, name, userId, Optional.empty());
    }

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
        requireNonNull(provenDevice, "provenDevice is null");
    }

    /**
     * This claim, made by a client that proved to be an enrolled device.
     *
     * @param device the device whose bound certificate the client presented
     * @return the claim with {@code provenDevice} set
     */
    public EnrollmentClaim provenBy(DeviceId device) {
        return new EnrollmentClaim(enrollmentToken, platform, method, hardwareIds, serialNumber, model, osVersion, name, userId,
                Optional.of(requireNonNull(device, "device is null")));
    }
}
