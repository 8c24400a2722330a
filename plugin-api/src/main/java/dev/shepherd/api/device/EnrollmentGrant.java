package dev.shepherd.api.device;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What a valid enrollment token entitles its holder to.
 *
 * @param tokenId the token's identifier (not its secret)
 * @param ownership whether devices enrolled with it are corporate or personal
 * @param platform the only platform it may enroll, if restricted
 * @param groupId the group enrolled devices join, if any
 * @param userId the user enrolled devices are assigned to, if any
 * @param expiresAt when it stops working
 */
public record EnrollmentGrant(String tokenId, Ownership ownership, Optional<Platform> platform, Optional<String> groupId,
                              Optional<String> userId, Instant expiresAt) {

    /** Validates every part. */
    public EnrollmentGrant {
        requireNonNull(tokenId, "tokenId is null");
        requireNonNull(ownership, "ownership is null");
        requireNonNull(platform, "platform is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(userId, "userId is null");
        requireNonNull(expiresAt, "expiresAt is null");
    }
}
