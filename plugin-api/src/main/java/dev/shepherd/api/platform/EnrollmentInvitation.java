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
 * @param mode the enrollment mode the link asked for ({@code ?mode=}): {@link #USER_MODE} for user enrollment of a
 *        personal device, where the organisation manages only its own accounts, apps and data; empty for the
 *        platform's usual enrollment. The kernel offers {@link #USER_MODE} for personal tokens with an assigned user only.
 * @param userEmail the assigned user's e-mail address, if the token has a user and the directory one for them
 */
public record EnrollmentInvitation(String token, Ownership ownership, Optional<String> groupId,
                                   Optional<String> userId, Instant expiresAt, String serverUrl,
                                   Optional<String> mode, Optional<String> userEmail) {

    /** The {@link #mode} of user enrollment (bring your own device). */
    public static final String USER_MODE = "user";

    /** Validates every part. */
    public EnrollmentInvitation {
        requireNonNull(token, "token is null");
        requireNonNull(ownership, "ownership is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(userId, "userId is null");
        requireNonNull(expiresAt, "expiresAt is null");
        requireNonNull(serverUrl, "serverUrl is null");
        requireNonNull(mode, "mode is null");
        requireNonNull(userEmail, "userEmail is null");
    }

    /**
     * An invitation for the platform's usual enrollment, with no mode and no user e-mail address.
     *
     * @param token the secret the device presents when it enrolls
     * @param ownership whether the devices enrolling with it are corporate or personal
     * @param groupId the group enrolled devices join, if any
     * @param userId the user enrolled devices are assigned to, if any
     * @param expiresAt when the token stops working
     * @param serverUrl the externally reachable base URL of the server
     */
    public EnrollmentInvitation(String token, Ownership ownership, Optional<String> groupId, Optional<String> userId,
                                Instant expiresAt, String serverUrl) {
        this(token, ownership, groupId, userId, expiresAt, serverUrl, Optional.empty(), Optional.empty());
    }

    /** @return whether the link asked for user enrollment */
    public boolean userEnrollment() {
        return mode.filter(USER_MODE::equals).isPresent();
    }
}
