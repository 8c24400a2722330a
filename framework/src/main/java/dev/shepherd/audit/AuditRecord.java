package dev.shepherd.audit;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What to write into the audit log about one action.
 *
 * @param actor who did it
 * @param action what was done, such as {@code device.retire}
 * @param targetType what kind of thing it was done to, such as {@code device}
 * @param targetId which one
 * @param before its state before, as JSON, when there was one
 * @param after its state after, as JSON, when there is one
 */
public record AuditRecord(Actor actor, String action, String targetType, String targetId,
                          Optional<String> before, Optional<String> after) {

    public AuditRecord {
        requireNonNull(actor, "actor is null");
        requireNonNull(action, "action is null");
        requireNonNull(targetType, "targetType is null");
        requireNonNull(targetId, "targetId is null");
        requireNonNull(before, "before is null");
        requireNonNull(after, "after is null");
    }
}
