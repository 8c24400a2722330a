package dev.shepherd.policy;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * A policy applied to a group. Where policies conflict, the higher priority wins (or, for field-wise setting
 * types such as passcode, the strictest value).
 *
 * @param policyId the policy
 * @param groupId the group
 * @param priority higher wins, -1000 to 1000
 * @param createdBy who assigned it
 * @param createdAt when
 */
public record PolicyAssignment(String policyId, String groupId, int priority, String createdBy, Instant createdAt) {
    public PolicyAssignment {
        requireNonNull(policyId, "policyId is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(createdBy, "createdBy is null");
        requireNonNull(createdAt, "createdAt is null");
    }
}
