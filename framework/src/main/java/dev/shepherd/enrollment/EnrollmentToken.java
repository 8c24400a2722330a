package dev.shepherd.enrollment;

import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * An enrollment token as admins see it. The secret itself is never stored; see {@link IssuedEnrollmentToken}.
 *
 * @param id identifier
 * @param name what it is for, such as {@code Sales iPads, Q3}
 * @param ownership corporate or personal devices
 * @param platform the only platform it enrolls, if restricted
 * @param groupId the group enrolled devices join
 * @param userId the user enrolled devices are assigned to
 * @param maxUses how many enrollments it allows; empty for unlimited
 * @param uses how many it has allowed so far
 * @param expiresAt when it stops working
 * @param createdBy who made it
 * @param createdAt when
 * @param revokedAt when it was withdrawn, if it was
 * @param requireSignIn whether whoever opens the link signs in with their directory account first, and the device is
 *                      then theirs; such a token enrolls nothing itself
 */
public record EnrollmentToken(String id, String name, Ownership ownership, Optional<Platform> platform,
                              Optional<String> groupId, Optional<String> userId, OptionalInt maxUses, int uses,
                              Instant expiresAt, String createdBy, Instant createdAt, Optional<Instant> revokedAt,
                              boolean requireSignIn) {

    public EnrollmentToken {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(ownership, "ownership is null");
        requireNonNull(platform, "platform is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(userId, "userId is null");
        requireNonNull(maxUses, "maxUses is null");
        requireNonNull(expiresAt, "expiresAt is null");
        requireNonNull(createdBy, "createdBy is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(revokedAt, "revokedAt is null");
    }

    /** @return whether it would allow an enrollment at that moment */
    public boolean usableAt(Instant at) {
        return revokedAt.isEmpty() && at.isBefore(expiresAt) && (maxUses.isEmpty() || uses < maxUses.getAsInt());
    }
}
