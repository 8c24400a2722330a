package dev.shepherd.api.platform;

import dev.shepherd.api.device.Ownership;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * An enrollment token as a platform plugin sees it when building an enrollment artifact.
 *
 * @param token the secret the device presents when it enrolls
 * @param ownership whether the devices enrolling with it are corporate or personal
 * @param groupId the group enrolled devices join, if any
 * @param userId the user enrolled devices are assigned to, if any
 * @param expiresAt when the token stops working
 * @param serverUrl the externally reachable base URL of the server, such as {@code https://mdm.example.com}
 */
public record EnrollmentInvitation(String token, Ownership ownership, Optional<String> groupId,
                                   Optional<String> userId, Instant expiresAt, String serverUrl) {

    /** Validates every part. */
    public EnrollmentInvitation {
        requireNonNull(token, "token is null");
        requireNonNull(ownership, "ownership is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(userId, "userId is null");
        requireNonNull(expiresAt, "expiresAt is null");
        requireNonNull(serverUrl, "serverUrl is null");
    }
}
