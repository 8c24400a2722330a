package dev.shepherd.policy;

import dev.shepherd.api.policy.Setting;

import java.time.Instant;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A named, versioned set of platform-independent settings.
 *
 * @param id identifier
 * @param name unique name
 * @param description what it is for
 * @param settings its settings, each valid against its type's schema, keys unique
 * @param version increases with every change; the admin API's ETag
 * @param updatedBy who changed it last
 * @param createdAt when it was made
 * @param updatedAt when it last changed
 */
public record Policy(String id, String name, String description, List<Setting> settings, long version, String updatedBy,
                     Instant createdAt, Instant updatedAt) {
    public Policy {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
        settings = List.copyOf(settings);
        requireNonNull(updatedBy, "updatedBy is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
