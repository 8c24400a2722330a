package dev.shepherd.audit;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One entry of the audit log as stored: the record plus its position and its link in the hash chain.
 *
 * @param seq position in the log, starting at 1, without gaps
 * @param occurredAt when, to the microsecond
 * @param actorKind sort of actor
 * @param actorId who
 * @param action what was done
 * @param targetType kind of target
 * @param targetId which target
 * @param before state before, as JSON
 * @param after state after, as JSON
 * @param previousHash the hash of the entry before (64 zeros for the first)
 * @param hash SHA-256 over this entry's fields and {@code previousHash}
 */
public record AuditEntry(long seq, Instant occurredAt, Actor.Kind actorKind, String actorId, String action,
                         String targetType, String targetId, Optional<String> before, Optional<String> after,
                         String previousHash, String hash) {

    public AuditEntry {
        requireNonNull(occurredAt, "occurredAt is null");
        requireNonNull(actorKind, "actorKind is null");
        requireNonNull(actorId, "actorId is null");
        requireNonNull(action, "action is null");
        requireNonNull(targetType, "targetType is null");
        requireNonNull(targetId, "targetId is null");
        requireNonNull(before, "before is null");
        requireNonNull(after, "after is null");
        requireNonNull(previousHash, "previousHash is null");
        requireNonNull(hash, "hash is null");
    }
}
