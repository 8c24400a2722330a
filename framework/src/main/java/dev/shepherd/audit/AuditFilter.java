package dev.shepherd.audit;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Which audit entries to read; empty parts match everything.
 *
 * @param actorId only this actor
 * @param targetType only this kind of target
 * @param targetId only this target
 * @param action only this action
 * @param from only at or after this moment
 * @param until only before this moment
 */
public record AuditFilter(Optional<String> actorId, Optional<String> targetType, Optional<String> targetId,
                          Optional<String> action, Optional<Instant> from, Optional<Instant> until) {

    public static final AuditFilter ALL = new AuditFilter(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty());

    public AuditFilter {
        requireNonNull(actorId, "actorId is null");
        requireNonNull(targetType, "targetType is null");
        requireNonNull(targetId, "targetId is null");
        requireNonNull(action, "action is null");
        requireNonNull(from, "from is null");
        requireNonNull(until, "until is null");
    }

    public AuditFilter withTarget(String type, String id) {
        return new AuditFilter(actorId, Optional.of(type), Optional.of(id), action, from, until);
    }
}
