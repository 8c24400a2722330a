package dev.shepherd.group;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A group of devices.
 *
 * @param id identifier
 * @param name unique name
 * @param description what it is for
 * @param rule the membership rule of a smart group; empty for a static group
 * @param members how many devices it has
 * @param version increases with every change
 * @param createdAt when it was made
 * @param updatedAt when it last changed
 */
public record Group(String id, String name, String description, Optional<GroupRule> rule, long members, long version,
                    Instant createdAt, Instant updatedAt) {
    public Group {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
        requireNonNull(rule, "rule is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }

    public boolean isSmart() {
        return rule.isPresent();
    }
}
