package dev.shepherd.device;

import dev.shepherd.api.device.Ownership;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * What an admin changes about a device; absent parts stay as they are.
 *
 * @param name new display name
 * @param ownership new ownership
 * @param userId new assigned user; an empty string unassigns
 * @param tags the full new set of tags
 * @param attributes the full new set of attributes
 */
public record DeviceChanges(Optional<String> name, Optional<Ownership> ownership, Optional<String> userId,
                            Optional<Set<String>> tags, Optional<Map<String, String>> attributes) {
    public DeviceChanges {
        requireNonNull(name, "name is null");
        requireNonNull(ownership, "ownership is null");
        requireNonNull(userId, "userId is null");
        requireNonNull(tags, "tags is null");
        requireNonNull(attributes, "attributes is null");
        name.ifPresent(value -> {
            if (value.isBlank() || value.length() > 255) {
                throw new IllegalArgumentException("name must be 1 to 255 characters");
            }
        });
        tags = tags.map(Set::copyOf);
        tags.ifPresent(values -> values.forEach(tag -> {
            if (tag.isBlank() || tag.length() > 100) {
                throw new IllegalArgumentException("tags must be 1 to 100 characters");
            }
        }));
        attributes = attributes.map(Map::copyOf);
        attributes.ifPresent(values -> values.forEach((key, value) -> {
            if (key.isBlank() || key.length() > 100 || value.length() > 1000) {
                throw new IllegalArgumentException("attribute names are 1 to 100 characters, values at most 1000");
            }
        }));
    }
}
