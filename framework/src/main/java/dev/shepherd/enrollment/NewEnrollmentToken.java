package dev.shepherd.enrollment;

import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * What an admin asks for when creating an enrollment token.
 *
 * @param name what it is for
 * @param ownership corporate or personal devices
 * @param platform restrict it to one platform
 * @param groupId the group enrolled devices join
 * @param userId the user enrolled devices are assigned to
 * @param maxUses how many enrollments it allows (1 for single use); empty for unlimited
 * @param expiresAt when it stops working
 * @param requireSignIn whether whoever opens the link signs in with their directory account first (then the token may
 *                      not name a user: the device is the signed-in person's)
 */
public record NewEnrollmentToken(String name, Ownership ownership, Optional<Platform> platform, Optional<String> groupId,
                                 Optional<String> userId, OptionalInt maxUses, Instant expiresAt, boolean requireSignIn) {
    public NewEnrollmentToken {
        requireNonNull(name, "name is null");
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("name must be 1 to 200 characters");
        }
        requireNonNull(ownership, "ownership is null");
        requireNonNull(platform, "platform is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(userId, "userId is null");
        requireNonNull(maxUses, "maxUses is null");
        if (maxUses.isPresent() && maxUses.getAsInt() < 1) {
            throw new IllegalArgumentException("maxUses must be at least 1");
        }
        requireNonNull(expiresAt, "expiresAt is null");
        if (requireSignIn && userId.isPresent()) {
            throw new IllegalArgumentException("a token that asks for the user's sign-in cannot name a user: the device is the signed-in person's");
        }
    }

    /** A token that enrolls without a sign-in. */
    public NewEnrollmentToken(String name, Ownership ownership, Optional<Platform> platform, Optional<String> groupId,
                              Optional<String> userId, OptionalInt maxUses, Instant expiresAt) {
        this(name, ownership, platform, groupId, userId, maxUses, expiresAt, false);
    }
}
