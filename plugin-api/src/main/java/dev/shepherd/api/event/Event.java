package dev.shepherd.api.event;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * Something that happened in the kernel or a plugin.
 *
 * @param id unique identifier
 * @param type dotted type, such as {@code device.enrolled}; see {@link EventTypes}
 * @param occurredAt when it happened
 * @param source who raised it: {@code kernel} or a plugin id
 * @param data details as JSON-like values (strings, numbers, booleans, lists, maps)
 */
public record Event(UUID id, String type, Instant occurredAt, String source, Map<String, Object> data) {

    /** Validates and copies every part. */
    public Event {
        requireNonNull(id, "id is null");
        requireNonNull(type, "type is null");
        requireNonNull(occurredAt, "occurredAt is null");
        requireNonNull(source, "source is null");
        data = Map.copyOf(requireNonNull(data, "data is null"));
    }

    /**
     * A new event that happened now.
     *
     * @param type dotted type
     * @param source who raised it
     * @param data details
     * @return the event
     */
    public static Event of(String type, String source, Map<String, Object> data) {
        return new Event(UUID.randomUUID(), type, Instant.now(), source, data);
    }
}
